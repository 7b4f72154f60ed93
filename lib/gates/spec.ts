/*
 * What a gate declares, independent of how its metrics are measured (that is the
 * pipeline's part: lib/pipeline/gates/<id>.ts pairs a declaration with its thresholds
 * schema and the function that measures it).
 */

export const OPS = ['>=', '<=', '>', '<', '==', 'between'] as const;
export type Op = (typeof OPS)[number];

/** A number fixed in the declaration, or the name of one of the gate's thresholds (`gates.<gate>.<name>` in a config). */
export type Bound<K extends string = string> = number | K;

/**
 * One check of a gate: `metric op threshold`, `metric between [low, high]`, or a
 * comparison with a metric of another gate (or of this one) plus an offset:
 * `val_accuracy >= majority.val_accuracy + margin`. `K` is the gate's threshold names,
 * so a misspelt threshold does not compile.
 */
export interface CheckSpec<K extends string = string> {
  metric: string;
  op: Op;
  threshold?: Bound<K> | [Bound<K>, Bound<K>];
  ref?: { gate: string; metric: string; offset?: Bound<K> };
  /** What a failure means, said first in the message ("leakage suspected: …"). */
  why?: string;
  /** The check does not apply when this metric of the same record is 1: a branch the gate took, recorded in its metrics. */
  waivedBy?: string;
}

/**
 * A gate: its id, the phase it ends, the gates that must have passed before it runs, its
 * checks, the runbook that explains it, and its key metric for tables.
 * On the 5-phase decision tree a gate may route instead of stop: when it fails, the
 * pipeline goes on with `onFail` (and skips nothing); when it passes, it skips `skipOnPass`.
 */
export interface GateSpec<K extends string = string> {
  id: string;
  phase: string;
  title: string;
  requires: readonly string[];
  checks: ReadonlyArray<CheckSpec<K>>;
  runbook: string;
  keyMetric: string;
  onFail?: readonly string[];
  skipOnPass?: readonly string[];
  /**
   * A gate over several symbols judges each symbol's metrics by these checks (one record per
   * symbol, carrying it), and itself by its `checks` over `symbols_passed` of `symbols_total`.
   */
  symbolChecks?: ReadonlyArray<CheckSpec<K>>;
}
