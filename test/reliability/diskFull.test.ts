import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { fakeRecord } from '../helpers/records';
import { tinyConfig } from '../helpers/tiny';

/**
 * A full disk: a small tmpfs of our own (mounted by the test; as root in CI), filled to its
 * last bytes. Every command fails cleanly — exit 2, the file and the free space named — the
 * ledger keeps verifying, and no temporary file is left behind.
 */
let mnt = '';
beforeAll(() => {
  mnt = tempDir('gatebook-full-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
  expect(r.status, `mount a tmpfs (the test needs root): ${r.stderr}`).toBe(0);
});
afterAll(() => {
  if (mnt) spawnSync('umount', ['-l', mnt]);
});

/** Fill the filesystem until `leave` bytes are free. */
function fillTo(leave: number): void {
  const s = statfsSync(mnt);
  const free = s.bavail * s.bsize;
  writeFileSync(join(mnt, `filler-${Date.now()}`), Buffer.alloc(Math.max(0, free - leave)));
}

const leftovers = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }) as string[] : []).filter((f) => /\.tmp|\.tmp-|\.lock/.test(f));

describe('a full disk', () => {
  it('an append cut short by the disk is rolled back: the line lands whole or not at all, and the command fails', () => {
    const dir = tempDir();
    const ledger = join(dir, 'gates.jsonl');
    const append = `require(${JSON.stringify(join(ROOT, 'dist', 'gates', 'ledger.js'))}).appendRecord(process.argv[1], ${JSON.stringify(fakeRecord('data'))})
      .then(() => console.log('appended'), (e) => { console.error(e.message); process.exit(2); });`;
    for (let i = 0; i < 3; i++) expect(spawnSync(process.execPath, ['-e', append, ledger], { encoding: 'utf8' }).status).toBe(0);
    const size = statSync(ledger).size;
    // a file-size limit less than a line past the ledger's end (bash counts it in KB): the next line is written in part, then refused
    const blocks = Math.ceil((size + 1) / 1024);
    expect(blocks * 1024 - size).toBeLessThan(size / 3);
    const r = spawnSync('bash', ['-c', `ulimit -f ${blocks}; exec "${process.execPath}" -e "$0" "$1"`, append, ledger], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/gates\.jsonl: the file-size limit was reached \(.* free there\); nothing was half-written/);
    expect(statSync(ledger).size).toBe(size); // the part that was written is gone
    expect(verifyLedger(ledger).records).toHaveLength(3);
    expect(spawnSync(process.execPath, ['-e', append, ledger], { encoding: 'utf8' }).status).toBe(0); // and the ledger goes on
    expect(verifyLedger(ledger).records).toHaveLength(4);
  });

  it('fails the command (exit 2, naming the file and the free space); the ledger stays whole; nothing temporary is left', () => {
    const dir = tempDir();
    const artifacts = join(mnt, 'art');
    mkdirSync(artifacts);
    const config = tinyConfig(dir);
    const first = gatebook(['env', '--config', config, '--artifacts', artifacts]);
    expect(first.code, first.stderr).toBe(0);
    const ledger = join(artifacts, 'gates.jsonl');
    expect(verifyLedger(ledger).records).toHaveLength(1);
    fillTo(600); // a record is ~1.5 KB: the append cannot fit
    const full = gatebook(['env', '--config', config, '--artifacts', artifacts]);
    expect(full.code, full.stdout + full.stderr).toBe(2);
    // the first write that does not fit is named (tmpfs gives whole pages: a lock file or the ledger line)
    expect(full.stderr).toMatch(new RegExp(`${artifacts.replace(/[/.]/g, '\\$&')}/\\S+: no space left on the device \\(\\d+ KB free there\\); nothing was half-written`));
    expect(full.stdout).not.toMatch(/✓ env: pass/); // never reported as a pass
    const after = verifyLedger(ledger);
    expect(after.firstBad).toBeNull();
    expect(after.records).toHaveLength(1); // the failed append left nothing, not even half a line
    expect(leftovers(artifacts)).toEqual([]);
    expect(gatebook(['gates', 'verify', '--ledger', ledger]).code).toBe(0);
  });

  it('a gate whose artifact cannot be written fails the run without a half-written file', () => {
    const dir = tempDir();
    for (const f of readdirSync(mnt).filter((f) => f.startsWith('filler-'))) rmSync(join(mnt, f));
    const artifacts = join(mnt, 'art2');
    mkdirSync(artifacts);
    const config = tinyConfig(dir);
    const data = gatebook(['pipeline', '--config', config, '--artifacts', artifacts, '--to', 'data']);
    expect(data.code, data.stderr).toBe(0);
    fillTo(40_000); // enough for records, not for the features parquet (~300 KB)
    const r = gatebook(['pipeline', '--config', config, '--artifacts', artifacts, '--to', 'features']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/features\.parquet: no space left on the device/);
    expect(existsSync(join(artifacts, 'features.parquet'))).toBe(false);
    expect(leftovers(artifacts)).toEqual([]);
    const records = verifyLedger(join(artifacts, 'gates.jsonl'));
    expect(records.firstBad).toBeNull();
    expect(records.records.at(-1)).toMatchObject({ gate: 'features', status: 'error' }); // recorded while there was room for the line
  });
});
