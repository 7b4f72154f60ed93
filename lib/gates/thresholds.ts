import { z } from 'zod';

/** The gated workflow's models must beat the majority class on validation by more than this. */
const marginOverMajority = z.number().min(0).max(1).default(0);

/**
 * Gate thresholds, `gates:` in an experiment's config.yaml. Every key has a default;
 * unknown keys and wrong types are errors that name the key.
 */
export const GateThresholds = z
  .object({
    env: z.object({
      min_node_major: z.number().int().default(20),
      min_free_disk_gb: z.number().nonnegative().default(1),
    }).strict().default({}),
    data: z.object({
      min_rows: z.number().int().nonnegative().default(5000),
      max_errors: z.number().int().nonnegative().default(0),
    }).strict().default({}),
    features: z.object({
      min_positive_rate: z.number().min(0).max(1).default(0.3),
      max_positive_rate: z.number().min(0).max(1).default(0.7),
    }).strict().default({}),
    split: z.object({
      min_val_rows: z.number().int().nonnegative().default(500),
      min_test_rows: z.number().int().nonnegative().default(500),
    }).strict().default({}),
    smoke: z.object({
      max_loss_ratio: z.number().positive().default(0.9),
    }).strict().default({}),
    baseline: z.object({
      /** The decision of the 5-phase tree: at or above it, go straight to finalization. */
      target_val_accuracy: z.number().min(0).max(1).default(0.53),
      min_margin_over_majority: z.number().min(0).max(1).default(0.02),
    }).strict().default({}),
    calibration: z.object({
      /** judged on the upper bound of the bootstrap 95 % interval (the seed's 0.05) */
      max_ece: z.number().positive().default(0.05),
    }).strict().default({}),
    finalization: z.object({
      min_test_accuracy: z.number().min(0).max(1).default(0.52),
      min_margin_over_majority: z.number().min(0).max(1).default(0.0),
      /** "beats the naive baselines with significance": McNemar's exact test vs majority and vs persistence */
      max_p_value: z.number().min(0).max(1).default(0.05),
      /** the seeds' promotion check, on the test ECE itself (the calibration gate judges the upper bound) */
      max_test_ece: z.number().positive().default(0.05),
      /** Above this, accuracy on 15-minute direction means leakage until a person signs it off. */
      plausible_accuracy: z.number().min(0).max(1).default(0.65),
      plausible_auc: z.number().min(0).max(1).default(0.7),
      /** The seeds' "at least k of n symbols pass". */
      min_symbols_passing: z.number().int().positive().default(1),
    }).strict().default({}),
    pretrain: z.object({
      /** the seed's gate 3: a linear probe on the frozen encoder reaches this on validation */
      min_probe_accuracy: z.number().min(0).max(1).default(0.55),
      min_margin_over_majority: marginOverMajority,
    }).strict().default({}),
    finetune: z.object({
      min_margin_over_majority: marginOverMajority,
      /** the seed's "F1 > baseline": val F1 above the baseline's by more than this (negative: within) */
      min_f1_over_baseline: z.number().min(-1).max(1).default(0),
    }).strict().default({}),
    augment: z.object({
      /** at least this share of the augmented windows passes the distribution check */
      min_kept_fraction: z.number().min(0).max(1).default(0.4),
      min_margin_over_majority: marginOverMajority,
    }).strict().default({}),
    ensemble: z.object({
      min_margin_over_majority: marginOverMajority,
      /** the ensemble's F1 at least its best member's plus this (negative: within) */
      min_f1_over_best_member: z.number().min(-1).max(1).default(0),
    }).strict().default({}),
  })
  .strict();
export type GateThresholds = z.infer<typeof GateThresholds>;

/** The value of threshold `name` of `gate`, or undefined when the config has no such key. */
export function thresholdOf(thresholds: GateThresholds, gate: string, name: string): number | undefined {
  const group = (thresholds as Record<string, Record<string, unknown>>)[gate];
  const value = group?.[name];
  return typeof value === 'number' ? value : undefined;
}
