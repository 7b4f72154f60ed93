import { describe, expect, it } from 'vitest';
import { evaluateChecks, compare } from '../../lib/gates/check';
import { danglingReference, inDependencyOrder } from '../../lib/gates/order';
import type { GateSpec } from '../../lib/gates/spec';
import { GATES, GateThresholds } from '../../lib/pipeline/gates';

const all = GateThresholds.parse({ data: { min_rows: 100 } });
const thresholds = all.baseline;
const spec: GateSpec = {
  id: 'baseline', phase: 'baseline', title: 't', requires: [], runbook: 'runbooks/02_baseline.md', keyMetric: 'acc',
  checks: [
    { metric: 'acc', op: '>=', ref: { gate: 'smoke', metric: 'majority', offset: 0.02 } },
    { metric: 'loss', op: '<', threshold: 1 },
    { metric: 'rate', op: 'between', threshold: [0.3, 0.7] },
  ],
};
const lookup = (gate: string, metric: string) => (gate === 'smoke' && metric === 'majority' ? 0.5 : null);

describe('evaluateChecks', () => {
  it('passes when every check holds and records each threshold with its source', () => {
    const { checks, issues } = evaluateChecks(spec, { acc: 0.53, loss: 0.6, rate: 0.5 }, thresholds, lookup);
    expect(issues).toEqual([]);
    expect(checks[0]).toMatchObject({ threshold: 0.52, source: 'smoke.majority + fixed', pass: true });
    expect(checks[2]).toMatchObject({ threshold: [0.3, 0.7], pass: true });
  });

  it('names gate, metric, expected and actual for each failure', () => {
    const { issues } = evaluateChecks(spec, { acc: 0.515, loss: 1, rate: 0.71 }, thresholds, lookup);
    expect(issues.map((i) => i.metric)).toEqual(['acc', 'loss', 'rate']);
    expect(issues[0]).toMatchObject({ gate: 'baseline', metric: 'acc', actual: 0.515, runbook: 'runbooks/02_baseline.md' });
    expect(issues[0].expected).toBe('>= 0.5200 (smoke.majority + fixed)');
    expect(issues[1].message).toBe('gate baseline: loss = 1, expected < 1 (fixed)');
  });

  it('fails (never passes) on a missing metric, NaN, or a missing reference', () => {
    const { issues } = evaluateChecks(spec, { acc: 0.9, loss: NaN }, thresholds, () => null);
    expect(issues.map((i) => i.message)).toEqual([
      'no record of gate smoke with metric majority to compare with',
      'baseline: metric loss was not measured',
      'baseline: metric rate was not measured',
    ]);
  });

  it('takes thresholds from the config by name', () => {
    const data = GATES.find((g) => g.id === 'data')!;
    expect(evaluateChecks(data, { errors: 0, rows: 99 }, all.data, lookup).issues[0].expected).toBe('>= 100 (config gates.data.min_rows)');
    expect(evaluateChecks(data, { errors: 0, rows: 100 }, all.data, lookup).issues).toEqual([]);
    expect(() => GateThresholds.parse({ data: { min_row: 5 } })).toThrow(/min_row/);
    expect(() => GateThresholds.parse({ dta: { min_rows: 5 } })).toThrow(/dta/);
    // a threshold the gate does not have fails its check by name, never passes
    expect(evaluateChecks({ ...data, checks: [{ metric: 'rows', op: '>=', threshold: 'min_rowz' }] }, { rows: 10 }, all.data, lookup).issues[0].message)
      .toBe('data: no threshold gates.data.min_rowz in the config');
  });

  it('waives a check when the gate records the branch that makes it inapplicable', () => {
    const gate: GateSpec = { ...spec, checks: [{ metric: 'recommendations', op: 'between', threshold: [3, 5], waivedBy: 'near_optimal' }] };
    expect(evaluateChecks(gate, { recommendations: 1, near_optimal: 0 }, {}, lookup).issues).toHaveLength(1);
    const waived = evaluateChecks(gate, { recommendations: 1, near_optimal: 1 }, {}, lookup);
    expect(waived.issues).toEqual([]);
    expect(waived.checks[0]).toMatchObject({ pass: true, source: 'waived: near_optimal = 1', value: 1 });
  });

  it('compares with every operator and orders gates by their requirements', () => {
    expect([compare(1, '>=', 1), compare(1, '>', 1), compare(1, '<=', 1), compare(1, '<', 1), compare(1, '==', 1)]).toEqual([true, false, true, false, true]);
    expect(inDependencyOrder(GATES).map((g) => g.id)).toEqual(['env', 'data', 'features', 'split', 'smoke', 'baseline', 'diagnostics', 'optimization', 'calibration', 'finalization',
      'minirocket', 'pretrain', 'finetune', 'augment', 'simple_lstm', 'ensemble', 'symbol_models', 'multi_symbol']);
    const cyclic: GateSpec[] = [{ ...spec, id: 'smoke', requires: ['baseline'] }, { ...spec, requires: ['smoke'] }];
    expect(() => inDependencyOrder(cyclic)).toThrow(/cycle/);
  });

  it('every gate a declaration names exists in the table', () => {
    expect(danglingReference(GATES)).toBeNull();
    expect(danglingReference([...GATES, { ...spec, id: 'extra', requires: ['basline'] }])).toBe('gate extra: requires names basline, which is not a gate');
  });
});
