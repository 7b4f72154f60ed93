import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/experiments/config';
import { verifyLedger } from '../../lib/gates/ledger';
import type { GateSpec } from '../../lib/gates/spec';
import { registerPhase } from '../../lib/pipeline/phases';
import { runPipeline } from '../../lib/pipeline/runner';
import { GatebookError } from '../../lib/util/errors';
import { tempDir } from '../helpers/cli';

/** Toy gates on the 5-phase decision tree; the phases return what `state` says. */
const state = { smokeLoss: 0.5, baselineAcc: 0.6, calls: [] as string[], smokeThrows: false };
const toy = (id: GateSpec['id'], requires: GateSpec['id'][], metric: string, extra: Partial<GateSpec> = {}): GateSpec => ({
  id, phase: id, title: `toy ${id}`, requires, runbook: 'runbooks/02_baseline.md', keyMetric: metric,
  checks: [{ metric, op: '>=', threshold: 0.5 }], ...extra,
});
const GATES_UNDER_TEST: GateSpec[] = [
  toy('env', [], 'polars_ok', { checks: [{ metric: 'polars_ok', op: '==', threshold: 1 }] }),
  toy('smoke', ['env'], 'loss_drop'),
  toy('baseline', ['smoke'], 'val_accuracy', { onFail: ['diagnostics', 'optimization'], skipOnPass: ['diagnostics', 'optimization'] }),
  toy('diagnostics', ['smoke'], 'recommendations', { checks: [{ metric: 'recommendations', op: 'between', threshold: [3, 5] }] }),
  toy('optimization', ['diagnostics'], 'val_accuracy', { checks: [{ metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'val_accuracy' } }] }),
  toy('finalization', ['smoke'], 'test_accuracy'),
];
registerPhase('smoke', () => {
  state.calls.push('smoke');
  if (state.smokeThrows) throw new GatebookError('the model produced NaN at step 3');
  return { metrics: { loss_drop: state.smokeLoss }, artifacts: [] };
});
registerPhase('baseline', () => (state.calls.push('baseline'), { metrics: { val_accuracy: state.baselineAcc }, artifacts: [] }));
registerPhase('diagnostics', () => (state.calls.push('diagnostics'), { metrics: { recommendations: 4 }, artifacts: [] }));
registerPhase('optimization', () => (state.calls.push('optimization'), { metrics: { val_accuracy: 0.45 }, artifacts: [] }));
registerPhase('finalization', () => (state.calls.push('finalization'), { metrics: { test_accuracy: 0.7 }, artifacts: [] }));

const config = parseConfig({ name: 'toy', data: { source: 'synthetic', generator: { bars: 2000, interval: '1h' } } });

function setup(overrides: Partial<typeof state> = {}) {
  Object.assign(state, { smokeLoss: 0.5, baselineAcc: 0.6, calls: [], smokeThrows: false }, overrides);
  const dir = tempDir();
  return { artifactsDir: dir, ledgerPath: join(dir, 'gates.jsonl'), gates: GATES_UNDER_TEST, config };
}

describe('pipeline runner', () => {
  it('a sufficient baseline skips diagnostics and optimization, and records the decision', async () => {
    const o = setup();
    const result = await runPipeline(o);
    expect(result.ok).toBe(true);
    expect(result.outcomes.map((x) => [x.gate, x.action])).toEqual([
      ['env', 'ran'], ['smoke', 'ran'], ['baseline', 'ran'], ['diagnostics', 'skipped-by-decision'], ['optimization', 'skipped-by-decision'], ['finalization', 'ran'],
    ]);
    const baseline = verifyLedger(o.ledgerPath).records.find((r) => r.gate === 'baseline')!;
    expect(baseline.decision).toBe('baseline passed → skip diagnostics, optimization');
  });

  it('an insufficient baseline goes through diagnostics and optimization, judged against the baseline', async () => {
    const o = setup({ baselineAcc: 0.4 });
    const result = await runPipeline(o);
    expect(state.calls).toEqual(['smoke', 'baseline', 'diagnostics', 'optimization', 'finalization']);
    const records = verifyLedger(o.ledgerPath).records;
    const baseline = records.find((r) => r.gate === 'baseline')!;
    expect(baseline.status).toBe('fail');
    expect(baseline.decision).toBe('baseline failed → diagnostics → optimization');
    expect(records.find((r) => r.gate === 'optimization')!.checks[0]).toMatchObject({ threshold: 0.4, value: 0.45, pass: true });
    expect(result.ok).toBe(true);
  });

  it('stops at the first failing gate; nothing after it runs', async () => {
    const o = setup({ smokeLoss: 0.1 });
    const result = await runPipeline(o);
    expect(result.ok).toBe(false);
    expect(result.stoppedAt!.gate).toBe('smoke');
    expect(result.stoppedAt!.issues[0].message).toBe('gate smoke: loss_drop = 0.1000, expected >= 0.5000 (fixed)');
    expect(state.calls).toEqual(['smoke']);
    expect(verifyLedger(o.ledgerPath).records.map((r) => `${r.gate}:${r.status}`)).toEqual(['env:pass', 'smoke:fail']);
  });

  it('stops when optimization does not beat the baseline it was compared with', async () => {
    const o = setup({ baselineAcc: 0.49 });
    state.calls = [];
    registerPhase('optimization', () => ({ metrics: { val_accuracy: 0.47 }, artifacts: [] }));
    const result = await runPipeline(o);
    registerPhase('optimization', () => (state.calls.push('optimization'), { metrics: { val_accuracy: 0.45 }, artifacts: [] }));
    expect(result.stoppedAt!.gate).toBe('optimization');
    expect(result.stoppedAt!.issues[0].message).toBe('gate optimization: val_accuracy = 0.4700, expected >= 0.4900 (baseline.val_accuracy)');
  });

  it('records a phase error as status error, with the message', async () => {
    const o = setup({ smokeThrows: true });
    const result = await runPipeline(o);
    expect(result.stoppedAt!.record).toMatchObject({ gate: 'smoke', status: 'error', error: 'the model produced NaN at step 3' });
  });

  it('resumes: passed gates with the same inputs are skipped; --force and a changed config rerun them', async () => {
    const o = setup();
    await runPipeline(o);
    state.calls = [];
    const again = await runPipeline(o);
    expect(again.outcomes.filter((x) => x.action === 'ran')).toEqual([]);
    expect(state.calls).toEqual([]);
    await runPipeline({ ...o, force: true });
    expect(state.calls).toEqual(['smoke', 'baseline', 'finalization']);
    state.calls = [];
    await runPipeline({ ...o, config: { ...config, seed: 7 } });
    expect(state.calls).toEqual(['smoke', 'baseline', 'finalization']);
    expect(verifyLedger(o.ledgerPath).firstBad).toBeNull();
  });

  it('--from / --to select gates; a gate whose requirements never passed is refused', async () => {
    const o = setup();
    await expect(runPipeline({ ...o, from: 'baseline' })).rejects.toThrow(/gate baseline requires smoke, which has no passing record in the ledger; run them first \(e.g. `gatebook pipeline --from smoke`\)/);
    await expect(runPipeline({ ...o, from: 'nonsense' })).rejects.toThrow(/invalid --from: nonsense \(gates that run: env, smoke, baseline/);
    await expect(runPipeline({ ...o, from: 'baseline', to: 'smoke' })).rejects.toThrow(/comes after/);
    await runPipeline({ ...o, to: 'smoke' });
    expect(state.calls).toEqual(['smoke']);
    const rest = await runPipeline({ ...o, from: 'baseline' });
    expect(rest.outcomes.map((x) => x.gate)).toEqual(['baseline', 'diagnostics', 'optimization', 'finalization']);
  });
});
