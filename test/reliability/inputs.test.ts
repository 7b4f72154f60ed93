import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { gatebook, tempDir } from '../helpers/cli';

describe('inputs that once misled', () => {
  it('one int64-max timestamp is named as a bad row, not read as a unit for the whole column', () => {
    const dir = tempDir();
    const n = 50;
    const t = Array.from({ length: n }, (_, i) => BigInt(Date.UTC(2024, 0, 1) + i * 60_000));
    t[17] = 9223372036854775807n;
    const frame = pl.DataFrame({
      timestamp: pl.Series('timestamp', t).cast(pl.Int64),
      open: Array(n).fill(10), high: Array(n).fill(11), low: Array(n).fill(9), close: Array(n).fill(10.5), volume: Array(n).fill(100),
    });
    const file = join(dir, 'bars.parquet');
    frame.writeParquet(file);
    const r = gatebook(['data', 'import', file, '--out', join(dir, 'out.parquet')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1 bad value\(s\):\s+row 18: column timestamp: 9223372036854776000 is not a plausible time in ms/);
    expect(r.stderr).not.toMatch(/duplicate/);
  });

  it('refuses --artifacts / (and system folders), before writing anything', () => {
    for (const dir of ['/', '/etc', '/usr/']) {
      const r = gatebook(['pipeline', '--artifacts', dir, '--to', 'env']);
      expect(r.code, dir).toBe(2);
      expect(r.stderr, dir).toMatch(/resolves to \/\w*: gatebook writes its data, models and ledger into that folder; name a folder of its own/);
    }
  });

  it('a data path that is a symlink to a system file does not echo the file in the error', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.txt'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1\n');
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'bars.csv'));
    const r = gatebook(['data', 'import', join(dir, 'bars.csv'), '--out', join(dir, 'out.parquet')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('whose names do not look like a CSV header');
    expect(r.stderr).not.toContain('root:x:0:0');
  });
});
