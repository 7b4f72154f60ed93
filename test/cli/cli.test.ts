import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { writeDailyCsv } from '../helpers/csv';

let dir: string;
beforeAll(() => {
  dir = tempDir('gatebook-cli-');
});

describe('gatebook CLI', () => {
  it('explains itself with --help and exits 2 on usage errors', () => {
    const help = gatebook(['--help']);
    expect(help.code).toBe(0);
    for (const verb of ['data', 'features', 'split', 'pipeline']) expect(help.stdout).toContain(verb);
    expect(gatebook(['data', 'import', '--help']).stdout).toContain('--out <parquet>');
    expect(gatebook(['frobnicate']).code).toBe(2);
    const missing = gatebook(['data', 'import', 'x.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--out <parquet>'");
    expect(gatebook(['data', 'generate', '--bars', 'many']).stderr).toContain('invalid --bars: many (expected an integer)');
  });

  it('imports, validates and builds features from a daily CSV with no options', () => {
    const csv = writeDailyCsv(dir, 'SPY.csv', 400);
    const parquet = join(dir, 'spy.parquet');
    const imported = gatebook(['data', 'import', csv, '--out', parquet]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/wrote .*spy\.parquet: 400 bars 1d/);
    const validated = gatebook(['data', 'validate', parquet]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/: ok/);
    expect(validated.stdout).toMatch(/gaps \d+/); // weekends are gaps: warnings, not errors
    const features = join(dir, 'spy-features.parquet');
    const built = gatebook(['features', 'build', parquet, '--out', features]);
    expect(built.code, built.stderr).toBe(0);
    const frame = pl.readParquet(features);
    expect(frame.columns).toEqual(expect.arrayContaining(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'rsi_14', 'vol_regime', 'label']));
    expect(frame.width).toBe(7 + 34 + 1);
    expect(frame.height).toBe(400 - 219 - 15);
    const info = gatebook(['data', 'info', features]);
    expect(JSON.parse(info.stdout).rows).toBe(frame.height);
    // features straight from the CSV too
    expect(gatebook(['features', 'build', csv, '--out', join(dir, 'direct.parquet')]).code).toBe(0);
  });

  it('rejects unsorted, duplicated, missing and non-numeric rows, naming the line, and writes nothing', () => {
    const cases: Array<[string, (l: string[]) => string[], RegExp]> = [
      ['unsorted', (l) => [l[0], l[2], l[1], ...l.slice(3)], /line 4: order: 20\d\d-\d\d-\d\dT00:00:00.000Z comes after/],
      ['duplicated', (l) => [...l.slice(0, 6), l[5], ...l.slice(6)], /line 8: duplicate: .* already at data row 6/],
      ['missing', (l) => l.map((x, i) => (i === 9 ? x.replace(/,\d+$/, ',') : x)), /line 11: column volume is empty/],
      ['nonnumeric', (l) => l.map((x, i) => (i === 12 ? x.replace(/^([^,]+),[^,]+/, '$1,n/a') : x)), /line 14: column open: "n\/a" is not a number/],
    ];
    for (const [name, edit, pattern] of cases) {
      const csv = writeDailyCsv(dir, `${name}.csv`, 40, edit);
      const out = join(dir, `${name}.parquet`);
      const r = gatebook(['data', 'import', csv, '--out', out]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(pattern);
      expect(r.stderr, name).toContain(csv);
      expect(existsSync(out), name).toBe(false);
    }
  });

  it('validate exits 1 on errors; --fix repairs only what it is told and says so', () => {
    const csv = writeDailyCsv(dir, 'messy.csv', 40, (l) => [l[1], l[0], ...l.slice(2, 5), l[4], ...l.slice(5)]);
    const checked = gatebook(['data', 'validate', csv]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('FAILED: 2 error(s)');
    const onlySort = gatebook(['data', 'validate', csv, '--fix', 'sort', '--out', join(dir, 'sorted.parquet')]);
    expect(onlySort.stdout).toContain('fix: sorted by timestamp (1 row(s) were out of order)');
    expect(onlySort.code).toBe(1); // the duplicate is still there: nothing written
    expect(existsSync(join(dir, 'sorted.parquet'))).toBe(false);
    const fixed = gatebook(['data', 'validate', csv, '--fix', '--out', join(dir, 'fixed.parquet')]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('fix: dropped 1 row(s) repeating an earlier timestamp (kept the first)');
    expect(gatebook(['data', 'validate', join(dir, 'fixed.parquet')]).code).toBe(0);
    expect(gatebook(['data', 'validate', csv, '--fix']).code).toBe(2);
  });

  it('generates, splits, and refuses a dataset that no longer matches its manifest', () => {
    const data = join(dir, 'gen.parquet');
    const gen = gatebook(['data', 'generate', '--interval', '1h', '--days', '60', '--seed', '3', '--out', data]);
    expect(gen.code, gen.stderr).toBe(0);
    const features = join(dir, 'gen-features.parquet');
    expect(gatebook(['features', 'build', data, '--out', features, '--check-causality', '5']).stdout).toContain('causality: ok at 5 rows');
    const split = join(dir, 'split.json');
    const made = gatebook(['split', 'make', features, '--out', split, '--folds', '3']);
    expect(made.code, made.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(split, 'utf8'));
    expect(saved.val.start - saved.train.end).toBe(75);
    expect(saved.folds).toHaveLength(3);
    expect(gatebook(['split', 'make', features, '--out', split, '--purge', '10']).stderr).toContain('purgeBars 10 is less than window + horizon');
    writeFileSync(data.replace('.parquet', '.manifest.json'), readFileSync(data.replace('.parquet', '.manifest.json'), 'utf8').replace(/"rows": \d+/, '"rows": 1'));
    const tampered = gatebook(['data', 'info', data]);
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toContain('does not match its manifest');
  });

  it('the env gate records which kernels ran: fused ops or their plain-op references, gatebook\'s or the stock wasm kernels', () => {
    const records = (extra: NodeJS.ProcessEnv) => {
      const artifacts = tempDir('env-kernels-');
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), 'env', '--artifacts', artifacts], { encoding: 'utf8', env: { ...process.env, CI: 'true', GATEBOOK_BACKEND: 'wasm', ...extra } });
      expect(r.status, r.stderr).toBe(0);
      return { ...(JSON.parse(readFileSync(join(artifacts, 'gates.jsonl'), 'utf8').trim()) as { metrics: Record<string, number> }), note: r.stdout };
    };
    const fused = records({});
    expect([fused.metrics.fused_ops, fused.metrics.wasm_stock_kernels]).toEqual([1, 0]);
    expect(fused.note).toContain('; fused ops');
    const plain = records({ GATEBOOK_FUSED: '0', GATEBOOK_WASM_STOCK: '1' });
    expect([plain.metrics.fused_ops, plain.metrics.wasm_stock_kernels]).toEqual([0, 1]);
    expect(plain.note).toContain('plain ops (GATEBOOK_FUSED=0), stock wasm kernels');
  }, 60_000);

  it('pipeline rejects a bad config before any step runs, naming the key', () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'name: x\nfeatures:\n  horizon: fifteen\n  colour: red\nsplit:\n  train: 2\n');
    const artifacts = join(dir, 'artifacts-bad');
    const r = gatebook(['pipeline', '--config', config, '--artifacts', artifacts]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('features.horizon: Expected number, received string');
    expect(r.stderr).toMatch(/features: Unrecognized key\(s\) in object: 'colour'/);
    expect(r.stderr).toContain('split.train: Number must be less than 1');
    expect(existsSync(artifacts)).toBe(false);
  });
});
