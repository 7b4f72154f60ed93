import type { CheckSpec, GateId, GateSpec } from './spec';

/**
 * The honesty checks of the gated workflow's models (those of the baseline): a model put
 * forward must beat the majority class and the persistence rule on validation; every model
 * — controls included (MiniRocket, the simple LSTM: they may lose to the naive baselines,
 * and the record says so in `beats_majority` / `beats_persistence`) — must have a
 * label-shuffle control that stays at chance and stay under the plausibility ceiling.
 */
function honesty(gate: GateId, o: { shuffleControl?: boolean; control?: boolean } = {}): CheckSpec[] {
  return [
    ...(o.control ? [] : [
      { metric: 'val_accuracy', op: '>' as const, ref: { gate, metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' } },
      { metric: 'val_accuracy', op: '>=' as const, ref: { gate, metric: 'persistence_val_accuracy' } },
    ]),
    ...(o.shuffleControl === false ? [] : [{
      metric: 'shuffle_val_accuracy_lo', op: '<=' as const, ref: { gate, metric: 'constant_val_accuracy' },
      why: 'leakage suspected: the same model trained on shuffled labels still beat every constant prediction on validation',
    }]),
    {
      metric: 'plausible', op: '==', threshold: 1,
      why: 'too good to be true: validation accuracy or AUC above the plausibility ceiling (gates.finalization.plausible_*) — leakage suspected',
    },
  ];
}

/**
 * Every gate, one declaration each. Thresholds named by string come from the config's
 * `gates.<id>` section (see thresholds.ts); later phases add their declarations here.
 */
export const GATES: readonly GateSpec[] = [
  {
    id: 'env', phase: 'planning', title: 'environment recorded and usable', requires: [], runbook: 'runbooks/01_planning.md',
    keyMetric: 'free_disk_gb',
    checks: [
      { metric: 'node_major', op: '>=', threshold: 'min_node_major' },
      { metric: 'free_disk_gb', op: '>=', threshold: 'min_free_disk_gb' },
      { metric: 'polars_ok', op: '==', threshold: 1 },
      { metric: 'data_present', op: '==', threshold: 1 },
    ],
  },
  {
    id: 'data', phase: 'planning', title: 'data validated', requires: ['env'], runbook: 'runbooks/01_planning.md',
    keyMetric: 'rows',
    checks: [
      { metric: 'errors', op: '<=', threshold: 'max_errors' },
      { metric: 'rows', op: '>=', threshold: 'min_rows' },
    ],
  },
  {
    id: 'features', phase: 'planning', title: 'features causal, complete and balanced', requires: ['data'], runbook: 'runbooks/01_planning.md',
    keyMetric: 'positive_rate',
    checks: [
      { metric: 'causality_violations', op: '==', threshold: 0, why: 'leakage: a feature reads bars after its row' },
      { metric: 'non_finite_after_warmup', op: '==', threshold: 0 },
      { metric: 'positive_rate', op: 'between', threshold: ['min_positive_rate', 'max_positive_rate'] },
    ],
  },
  {
    id: 'split', phase: 'planning', title: 'split without overlap, purge respected', requires: ['features'], runbook: 'runbooks/01_planning.md',
    keyMetric: 'train_rows',
    checks: [
      { metric: 'overlap_rows', op: '==', threshold: 0 },
      { metric: 'min_gap_bars', op: '>=', ref: { gate: 'split', metric: 'purge_required' } },
      { metric: 'val_rows', op: '>=', threshold: 'min_val_rows' },
      { metric: 'test_rows', op: '>=', threshold: 'min_test_rows' },
    ],
  },
  {
    id: 'smoke', phase: 'baseline', title: "a tiny model's loss falls on a small slice", requires: ['split'], runbook: 'runbooks/02_baseline.md',
    keyMetric: 'loss_ratio',
    checks: [{ metric: 'loss_ratio', op: '<=', threshold: 'max_loss_ratio' }],
  },
  {
    id: 'baseline', phase: 'baseline', title: 'baseline model vs target and the naive baselines', requires: ['smoke'], runbook: 'runbooks/02_baseline.md',
    keyMetric: 'val_accuracy',
    checks: [
      { metric: 'val_accuracy_seed_lo', op: '>=', threshold: 'target_val_accuracy' },
      { metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' } },
      { metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'persistence_val_accuracy' } },
      {
        // the best constant on validation, not the training majority: when training's majority class is validation's
        // minority, a control that learned nothing but predicts the other class would otherwise look like a leak
        metric: 'shuffle_val_accuracy_lo', op: '<=', ref: { gate: 'baseline', metric: 'constant_val_accuracy' },
        why: 'leakage suspected: the same model trained on shuffled labels still beat every constant prediction on validation',
      },
      {
        metric: 'plausible', op: '==', threshold: 1,
        why: 'too good to be true: validation accuracy or AUC above the plausibility ceiling (gates.finalization.plausible_*) — leakage suspected until a person signs it off in runbooks/05_finalization.md',
      },
    ],
    onFail: ['diagnostics', 'optimization'],
    skipOnPass: ['diagnostics', 'optimization'],
  },
  {
    id: 'diagnostics', phase: 'diagnostics', title: 'primary issue named, 3–5 recommendations', requires: ['smoke'],
    runbook: 'runbooks/03_diagnostics.md', keyMetric: 'recommendations',
    checks: [{ metric: 'recommendations', op: 'between', threshold: [3, 5] }],
  },
  {
    id: 'optimization', phase: 'optimization', title: 'recommendations applied, compared with the baseline, best kept', requires: ['diagnostics'],
    runbook: 'runbooks/04_optimization.md', keyMetric: 'best_val_accuracy',
    checks: [
      { metric: 'iterations', op: '>=', threshold: 1 },
      { metric: 'best_val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'val_accuracy' } },
    ],
  },
  {
    id: 'calibration', phase: 'finalization', title: 'probabilities calibrated (ECE judged on its upper bound)', requires: ['smoke'],
    runbook: 'runbooks/05_finalization.md', keyMetric: 'ece_after',
    checks: [{ metric: 'ece_after_hi', op: '<=', threshold: 'max_ece' }],
  },
  {
    id: 'finalization', phase: 'finalization', title: 'final model, test split read once, promotion checks', requires: ['calibration'],
    runbook: 'runbooks/05_finalization.md', keyMetric: 'test_accuracy',
    checks: [
      { metric: 'test_reads', op: '==', threshold: 1 },
      { metric: 'test_accuracy', op: '>=', threshold: 'min_test_accuracy' },
      { metric: 'test_accuracy', op: '>=', ref: { gate: 'finalization', metric: 'majority_test_accuracy', offset: 'min_margin_over_majority' } },
      { metric: 'p_value_vs_majority', op: '<=', threshold: 'max_p_value' },
      { metric: 'test_accuracy', op: '>=', ref: { gate: 'finalization', metric: 'persistence_test_accuracy' } },
      { metric: 'p_value_vs_persistence', op: '<=', threshold: 'max_p_value' },
      { metric: 'test_ece', op: '<=', threshold: 'max_test_ece' },
      { metric: 'plausible', op: '==', threshold: 1, why: 'too good to be true: leakage suspected until a person signs it off in runbooks/05_finalization.md' },
      { metric: 'symbols_passing', op: '>=', threshold: 'min_symbols_passing' },
      { metric: 'model_exported', op: '==', threshold: 1 },
    ],
  },
  // the gated workflow (`--workflow gated`): the seed's gates 2–7 after env … baseline
  {
    id: 'minirocket', phase: 'gated', title: 'MiniRocket control recorded, no leak', requires: ['baseline'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
    checks: honesty('minirocket', { control: true }),
  },
  {
    id: 'pretrain', phase: 'gated', title: 'masked pretraining: reconstruction beats zero, linear probe ≥ target', requires: ['smoke'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'probe_accuracy',
    checks: [
      { metric: 'val_loss_ratio', op: '<', threshold: 1, why: 'the encoder reconstructs masked steps no better than predicting the centre' },
      { metric: 'probe_accuracy', op: '>=', threshold: 'min_probe_accuracy' },
      { metric: 'probe_accuracy', op: '>', ref: { gate: 'pretrain', metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' } },
    ],
  },
  {
    id: 'finetune', phase: 'gated', title: 'pretrained BiLSTM fine-tuned in two phases, F1 above the baseline', requires: ['pretrain', 'baseline'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
    checks: [{ metric: 'val_f1', op: '>', ref: { gate: 'baseline', metric: 'val_f1', offset: 'min_f1_over_baseline' } }, ...honesty('finetune')],
  },
  {
    id: 'augment', phase: 'gated', title: 'augmented windows match the real distributions; model trained on them', requires: ['finetune'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
    checks: [{ metric: 'kept_fraction', op: '>=', threshold: 'min_kept_fraction' }, ...honesty('augment')],
  },
  {
    id: 'simple_lstm', phase: 'gated', title: 'unidirectional LSTM baseline recorded, no leak', requires: ['baseline'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
    checks: honesty('simple_lstm', { control: true }),
  },
  {
    id: 'ensemble', phase: 'gated', title: 'isotonic-calibrated ensemble no worse than its best member', requires: ['finetune', 'augment', 'simple_lstm'],
    runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
    // its members faced the shuffle control at their own gates
    checks: [{ metric: 'val_f1', op: '>=', ref: { gate: 'ensemble', metric: 'best_member_val_f1', offset: 'min_f1_over_best_member' } }, ...honesty('ensemble', { shuffleControl: false })],
  },
];

export function gateSpec(id: string): GateSpec | undefined {
  return GATES.find((g) => g.id === id);
}

/** The declared gates in dependency order (each after everything it requires). */
export function inDependencyOrder(gates: readonly GateSpec[] = GATES): GateSpec[] {
  const byId = new Map(gates.map((g) => [g.id, g]));
  const done = new Set<GateId>();
  const order: GateSpec[] = [];
  const visit = (g: GateSpec, path: GateId[]) => {
    if (done.has(g.id)) return;
    if (path.includes(g.id)) throw new Error(`gate requirements form a cycle: ${[...path, g.id].join(' → ')}`);
    for (const r of g.requires) {
      const req = byId.get(r);
      if (req) visit(req, [...path, g.id]);
    }
    done.add(g.id);
    order.push(g);
  };
  for (const g of gates) visit(g, []);
  return order;
}
