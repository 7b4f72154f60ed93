import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { gatebook, tempDir } from '../helpers/cli';

const QUICK = 'features:\n  causalityPoints: 3\nmodel:\n  family: lstm\n  params: {layers: 1, units: 8}\n  trainStride: 8\ntrain:\n  epochs: 3\nmaxOptimizationIterations: 1\nfinalization:\n  epochs: 3\n';

function run(extra: string, base = QUICK) {
  const dir = tempDir();
  writeFileSync(join(dir, 'c.yaml'), base + extra);
  const artifacts = join(dir, 'artifacts');
  const r = gatebook(['pipeline', '--config', join(dir, 'c.yaml'), '--artifacts', artifacts]);
  return { ...r, artifacts, records: verifyLedger(join(artifacts, 'gates.jsonl')).records };
}

describe('honesty gates on the embedded data', () => {
  it('a planted look-ahead feature fails the features gate and says why', () => {
    const r = run('', QUICK.replace('causalityPoints: 3\n', 'causalityPoints: 3\n  plantLeak: true\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pipeline stopped at gate features: leakage: a feature reads bars after its row/);
    expect(r.stdout).toMatch(/causality violated: leak_future_return at row \d+ is null on data cut there/);
    expect(r.records.map((x) => `${x.gate}:${x.status}`)).toEqual(['env:pass', 'data:pass', 'features:fail']);
  }, 120_000);

  it('an accuracy above the plausibility ceiling fails as too good to be true', () => {
    const r = run('gates:\n  finalization:\n    plausible_accuracy: 0.3\n');
    const baseline = r.records.find((x) => x.gate === 'baseline')!;
    expect(baseline.metrics.plausible).toBe(0);
    expect(r.stdout).toMatch(/too good to be true: validation accuracy or AUC above the plausibility ceiling/);
    expect(baseline.metrics.shuffle_val_accuracy).toBeGreaterThan(0); // the label-shuffle control ran
  }, 180_000);

  it('an insufficient baseline goes through diagnostics and optimization to finalization, with reports', () => {
    const r = run('gates:\n  baseline:\n    target_val_accuracy: 0.99\n');
    const gates = r.records.map((x) => x.gate);
    // the test read is in the ledger before the finalization record that used it
    expect(gates).toEqual(['env', 'data', 'features', 'split', 'smoke', 'baseline', 'diagnostics', 'optimization', 'calibration', 'test_read', 'finalization']);
    expect(r.records.find((x) => x.gate === 'baseline')!.decision).toBe('baseline failed → diagnostics → optimization');
    const report = readFileSync(join(r.artifacts, 'reports', 'diagnostic_report.md'), 'utf8');
    expect(report).toMatch(/## Primary issue: /);
    expect(report).toMatch(/^1\. \*\*/m);
    expect(existsSync(join(r.artifacts, 'reports', 'optimization_results.md'))).toBe(true);
    const final = r.records.find((x) => x.gate === 'finalization')!;
    expect(final.metrics.test_reads).toBe(1);
    expect(readFileSync(join(r.artifacts, 'reports', 'test_results.md'), 'utf8')).toContain('The test split was read 1 time(s)');
    // the report gathers the four reports and the figures
    const written = gatebook(['report', '--artifacts', r.artifacts]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/4 report\(s\), 8 figure\(s\)/);
    const index = readFileSync(join(r.artifacts, 'reports', 'index.html'), 'utf8');
    expect(index).toContain('<img src="reliability.png"');
    const png = readFileSync(join(r.artifacts, 'reports', 'roc_validation.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // the test split is read once: finalization again is refused before it trains
    const again = gatebook(['pipeline', '--config', join(r.artifacts, '..', 'c.yaml'), '--artifacts', r.artifacts, '--from', 'finalization', '--force']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/error: the test split was already read 1 time\(s\): \S+ by run \S+\. A second look/);
  }, 240_000);
});
