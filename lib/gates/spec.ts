/** Gate ids: short and stable; `--from` / `--to` and runbook expressions use them. */
export const GATE_IDS = [
  'env', 'data', 'features', 'split', 'smoke', 'baseline', 'diagnostics', 'optimization', 'calibration', 'finalization',
  'minirocket', 'pretrain', 'finetune', 'augment', 'simple_lstm', 'ensemble',
] as const;
export type GateId = (typeof GATE_IDS)[number];

export const OPS = ['>=', '<=', '>', '<', '==', 'between'] as const;
export type Op = (typeof OPS)[number];

/** A number fixed in the declaration, or the name of a threshold in the config (gates.<gate>.<name>). */
export type Bound = number | string;

/**
 * One check of a gate: `metric op threshold`, `metric between [low, high]`, or a
 * comparison with a metric of another gate (or of this one) plus an offset:
 * `val_accuracy >= majority.val_accuracy + margin`.
 */
export interface CheckSpec {
  metric: string;
  op: Op;
  threshold?: Bound | [Bound, Bound];
  ref?: { gate: GateId; metric: string; offset?: Bound };
  /** What a failure means, said first in the message ("leakage suspected: …"). */
  why?: string;
}

/**
 * A gate: its id, the phase it ends, the gates that must have passed before it runs, its
 * checks, the runbook that explains it, and its key metric for tables.
 * On the 5-phase decision tree a gate may route instead of stop: when it fails, the
 * pipeline goes on with `onFail` (and skips nothing); when it passes, it skips `skipOnPass`.
 */
export interface GateSpec {
  id: GateId;
  phase: string;
  title: string;
  requires: GateId[];
  checks: CheckSpec[];
  runbook: string;
  keyMetric: string;
  onFail?: GateId[];
  skipOnPass?: GateId[];
}
