import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyLedger } from '../../lib/gates/ledger';
import { parseConfig } from '../../lib/pipeline/configFile';
import { defineGate, type Gate, type PhaseOutput } from '../../lib/pipeline/gate';
import { runPipeline } from '../../lib/pipeline/runner';
import { GatebookError, InputError } from '../../lib/util/errors';
import { tempDir } from '../helpers/cli';

/** Toy gates on the 5-phase decision tree; their runs return what `state` says. */
const state = { smokeLoss: 0.5, baselineAcc: 0.6, calls: [] as string[], smokeThrows: null as Error | null, optimizationAcc: 0.45 };
const toy = (id: string, requires: string[], metric: string, run: () => PhaseOutput, extra: Partial<Gate> = {}): Gate => defineGate({
  id, phase: id, title: `toy ${id}`, requires, runbook: 'runbooks/02_baseline.md', keyMetric: metric, thresholds: z.object({}),
  checks: [{ metric, op: '>=', threshold: 0.5 }], run: () => (state.calls.push(id), run()), ...extra,
});
const GATES_UNDER_TEST: Gate[] = [
  toy('env', [], 'polars_ok', () => ({ metrics: { polars_ok: 1 }, artifacts: [] }), { checks: [{ metric: 'polars_ok', op: '==', threshold: 1 }] }),
  toy('smoke', ['env'], 'loss_drop', () => {
    if (state.smokeThrows) throw state.smokeThrows;
    return { metrics: { loss_drop: state.smokeLoss }, artifacts: [] };
  }),
  toy('baseline', ['smoke'], 'val_accuracy', () => ({ metrics: { val_accuracy: state.baselineAcc }, artifacts: [] }), { onFail: ['diagnostics', 'optimization'], skipOnPass: ['diagnostics', 'optimization'] }),
  toy('diagnostics', ['smoke'], 'recommendations', () => ({ metrics: { recommendations: 4 }, artifacts: [] }), { checks: [{ metric: 'recommendations', op: 'between', threshold: [3, 5] }] }),
  toy('optimization', ['diagnostics'], 'val_accuracy', () => ({ metrics: { val_accuracy: state.optimizationAcc }, artifacts: [] }), { checks: [{ metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'val_accuracy' } }] }),
  toy('finalization', ['smoke'], 'test_accuracy', () => ({ metrics: { test_accuracy: 0.7 }, artifacts: [] })),
];

const config = parseConfig({ name: 'toy', data: { source: 'synthetic', generator: { bars: 2000, interval: '1h' } } });

function setup(overrides: Partial<typeof state> = {}) {
  Object.assign(state, { smokeLoss: 0.5, baselineAcc: 0.6, calls: [], smokeThrows: null, optimizationAcc: 0.45 }, overrides);
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
    expect(state.calls).toEqual(['env', 'smoke', 'baseline', 'diagnostics', 'optimization', 'finalization']);
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
    expect(state.calls).toEqual(['env', 'smoke']);
    expect(verifyLedger(o.ledgerPath).records.map((r) => `${r.gate}:${r.status}`)).toEqual(['env:pass', 'smoke:fail']);
  });

  it('stops when optimization does not beat the baseline it was compared with', async () => {
    const o = setup({ baselineAcc: 0.49, optimizationAcc: 0.47 });
    const result = await runPipeline(o);
    expect(result.stoppedAt!.gate).toBe('optimization');
    expect(result.stoppedAt!.issues[0].message).toBe('gate optimization: val_accuracy = 0.4700, expected >= 0.4900 (baseline.val_accuracy)');
  });

  it('records an error inside a gate as status error, with the message, whatever threw it', async () => {
    for (const [thrown, message] of [
      [new GatebookError('the model produced NaN at step 3'), 'the model produced NaN at step 3'],
      [new InputError('split.window = 8: too short'), 'split.window = 8: too short'],
      [new RangeError('Invalid array length'), 'RangeError: Invalid array length'],
    ] as const) {
      const o = setup({ smokeThrows: thrown });
      const result = await runPipeline(o);
      expect(result.stoppedAt!.record).toMatchObject({ gate: 'smoke', status: 'error', error: message });
      expect(result.stoppedAt!.error).toBe(thrown);
      expect(verifyLedger(o.ledgerPath).records.map((r) => `${r.gate}:${r.status}`)).toEqual(['env:pass', 'smoke:error']);
    }
  });

  it('a gate may take a branch that skips later gates, and the branch holds when it is reused', async () => {
    const branching = GATES_UNDER_TEST.map((g) => g.id !== 'diagnostics' ? g : {
      ...g, run: () => (state.calls.push('diagnostics'), { metrics: { recommendations: 1 }, artifacts: [], decision: 'near-optimal', skip: ['optimization'] }),
      checks: [{ metric: 'recommendations', op: 'between' as const, threshold: [3, 5] as [number, number], waivedBy: 'near_optimal' }],
    });
    const o = { ...setup({ baselineAcc: 0.4 }), gates: branching };
    await expect(runPipeline(o)).resolves.toMatchObject({ ok: false, stoppedAt: { gate: 'diagnostics' } }); // without near_optimal = 1 the check holds
    const waived = branching.map((g) => g.id !== 'diagnostics' ? g : { ...g, run: () => ({ metrics: { recommendations: 1, near_optimal: 1 }, artifacts: [], decision: 'near-optimal', skip: ['optimization'] }) });
    const result = await runPipeline({ ...o, gates: waived, force: true });
    expect(result.outcomes.map((x) => [x.gate, x.action])).toEqual([
      ['env', 'ran'], ['smoke', 'ran'], ['baseline', 'ran'], ['diagnostics', 'ran'], ['optimization', 'skipped-by-decision'], ['finalization', 'ran'],
    ]);
    expect(verifyLedger(o.ledgerPath).records.filter((r) => r.gate === 'diagnostics').at(-1)!.decision).toBe('near-optimal → skip optimization');
    const again = await runPipeline({ ...o, gates: waived });
    expect(again.outcomes.map((x) => [x.gate, x.action])).toEqual([
      ['env', 'skipped-same-inputs'], ['smoke', 'skipped-same-inputs'], ['baseline', 'ran'], ['diagnostics', 'skipped-same-inputs'], ['optimization', 'skipped-by-decision'], ['finalization', 'skipped-same-inputs'],
    ]);
  });

  it('resumes: passed gates with the same inputs are skipped; --force and a changed config rerun them', async () => {
    const o = setup();
    await runPipeline(o);
    state.calls = [];
    const again = await runPipeline(o);
    expect(again.outcomes.filter((x) => x.action === 'ran')).toEqual([]);
    expect(state.calls).toEqual([]);
    await runPipeline({ ...o, force: true });
    expect(state.calls).toEqual(['env', 'smoke', 'baseline', 'finalization']);
    state.calls = [];
    await runPipeline({ ...o, config: { ...config, seed: 7 } });
    expect(state.calls).toEqual(['env', 'smoke', 'baseline', 'finalization']);
    expect(verifyLedger(o.ledgerPath).firstBad).toBeNull();
  });

  it('--from / --to select gates; a gate whose requirements never passed is refused', async () => {
    const o = setup();
    await expect(runPipeline({ ...o, from: 'baseline' })).rejects.toThrow(/gate baseline requires smoke, which has no passing record in the ledger; run them first \(e.g. `gatebook pipeline --from smoke`\)/);
    await expect(runPipeline({ ...o, from: 'nonsense' })).rejects.toThrow(/invalid --from: nonsense \(gates that run: env, smoke, baseline/);
    await expect(runPipeline({ ...o, from: 'baseline', to: 'smoke' })).rejects.toThrow(/comes after/);
    await runPipeline({ ...o, to: 'smoke' });
    expect(state.calls).toEqual(['env', 'smoke']);
    const rest = await runPipeline({ ...o, from: 'baseline' });
    expect(rest.outcomes.map((x) => x.gate)).toEqual(['baseline', 'diagnostics', 'optimization', 'finalization']);
  });
});
