import { z } from 'zod';
import { BACKENDS } from '../backend/select';
import { SyntheticOptions } from '../data/synthetic';
import { SyntheticSymbolsOptions } from '../data/syntheticSymbols';
import { CALIBRATORS } from '../eval/calibrate';
import { LabelOptions } from '../features/label';
import { familyNames, FinetuneOptions, MiniRocketParams, PretrainOptions } from '../models';
import { SplitOptions } from '../split/options';
import { AugmentOptions } from '../tensors/augment';
import { TrainOptions } from '../train/options';
import { withChanges, type Changes } from '../util/dotted';
import { InputError } from '../util/errors';
import { canonicalJson, sha256 } from '../util/hash';

const FileSource = {
  path: z.string(),
  adjusted: z.boolean().default(false),
  mapping: z.record(z.string()).optional(),
};

const DataSource = z.discriminatedUnion('source', [
  /** `variant: three-symbol`: the embedded three-symbol option (data/embedded-three-symbol.json) */
  z.object({ source: z.literal('embedded'), variant: z.enum(['default', 'three-symbol']).optional() }).strict(),
  z.object({ source: z.literal('synthetic'), generator: SyntheticOptions.default({}) }).strict(),
  z.object({ source: z.literal('synthetic-symbols'), generator: SyntheticSymbolsOptions }).strict(),
  z.object({ source: z.literal('file'), ...FileSource }).strict(),
  /** One file per symbol: each file's rows get that symbol (a symbol column in the file is replaced). */
  z.object({
    source: z.literal('files'),
    files: z.array(z.object({ symbol: z.string().min(1), ...FileSource }).strict()).min(1),
  }).strict(),
]);

/** A model family a config may train (registered and trained by the loop). */
const TrainableFamily = z.string().superRefine((name, ctx) => {
  const names = familyNames({ trainable: true });
  if (!names.includes(name)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `invalid model family ${name} (expected one of ${names.join(', ')})` });
});

/** The gated workflow's models (`gatebook pipeline --workflow gated`), each schema from the code it configures. */
export const WorkflowOptions = z.object({
  minirocket: MiniRocketParams.default({}),
  pretrain: PretrainOptions.default({}),
  finetune: FinetuneOptions.default({}),
  augment: AugmentOptions.default({}),
  /** the unidirectional LSTM baseline (gate 6) */
  simpleLstm: z.object({
    layers: z.number().int().min(1).max(4).default(1),
    units: z.number().int().min(1).max(512).default(64),
    dropout: z.number().min(0).lt(1).default(0.2),
  }).strict().default({}),
  /** the multi-symbol model (workflow `multi-symbol`): the transformer, with each symbol's indicator as an input (a learned symbol embedding) */
  multiSymbol: z.object({
    family: TrainableFamily.default('transformer'),
    params: z.record(z.unknown()).default({ dModel: 32, heads: 4, layers: 2, ffSize: 64, dropout: 0.1 }),
  }).strict().default({}),
  ensemble: z.object({
    /** each member calibrated by this, out of fold on validation, before averaging */
    calibration: z.enum(CALIBRATORS).default('isotonic'),
    folds: z.number().int().min(2).max(20).default(5),
  }).strict().default({}),
}).strict();
export type WorkflowOptions = z.infer<typeof WorkflowOptions>;

/**
 * An experiment's config.yaml. Unknown keys are errors: a typo never silently falls back.
 * `gates:` holds each gate's thresholds; its shape comes from the gates themselves
 * (lib/pipeline/gates), so it is checked where the gate table is known: `parseConfig`.
 */
export const ExperimentConfig = z
  .object({
    name: z.string().min(1).default('embedded-default'),
    seed: z.number().int().nonnegative().default(42),
    /** Force a TensorFlow.js backend (else GATEBOOK_BACKEND, else the best that loads). */
    backend: z.enum(BACKENDS).optional(),
    data: DataSource.default({ source: 'embedded' }),
    /** Train on this one symbol of a multi-symbol dataset (a sweep's `symbol:` axis: one task per symbol). */
    symbol: z.string().min(1).optional(),
    features: LabelOptions.extend({
      /** Rows of the causality check (features on data cut at t vs all of it). */
      causalityPoints: z.number().int().positive().default(20),
      /** Add a feature that reads the next bars (for proving the honesty gates catch it). */
      plantLeak: z.boolean().default(false),
    }).strict().default({}),
    split: SplitOptions.default({}),
    /** Thresholds by gate: `gates.<gate>.<name>`; checked against each gate's schema by parseConfig. */
    gates: z.record(z.record(z.unknown())).default({}),
    /** The model the baseline (and later phases) train; params are checked by the family at fit. */
    model: z.object({
      family: TrainableFamily.default('lstm'),
      params: z.record(z.unknown()).default({ layers: 1, units: 32, dropout: 0.2 }),
      scaler: z.enum(['standard', 'robust']).default('robust'),
      /** 'stationary' (default: no price-level columns such as raw SMAs), 'all' numeric, or a list. */
      features: z.union([z.enum(['stationary', 'all']), z.array(z.string()).min(1)]).default('stationary'),
      /** Train on every k-th window (1 = all): keeps the embedded default within minutes on 2 cores. */
      trainStride: z.number().int().positive().default(2),
    }).strict().default({}),
    /** The seed's baseline: Adam, LR 1e-3, 20 epochs, early stopping. */
    train: TrainOptions.default({}),
    /** Seed variance: train the baseline with this many seeds; gates judge the lower bound of the mean's 95 % interval. */
    seeds: z.number().int().min(1).max(20).default(1),
    calibration: z.object({
      /** Platt by default: two parameters overfit less than isotonic steps on a few thousand overlapping windows. */
      method: z.enum(CALIBRATORS).default('platt'),
      bins: z.number().int().min(2).max(100).default(15),
    }).strict().default({}),
    /** Final training: the seed's "extended patience" (scaled to the embedded default's budget). */
    finalization: z.object({
      epochs: z.number().int().positive().default(30),
      patience: z.number().int().positive().default(8),
      /** A second read of the test split is refused unless this is set (it is then counted). */
      allowTestReread: z.boolean().default(false),
    }).strict().default({}),
    /**
     * `gatebook exp promote`: thresholds on the final gate's metrics beyond the gates' own
     * (none by default — the seed's profile is min_test_accuracy 0.68, max_test_ece 0.05),
     * and the target a champion holds (challengers for the same target are compared with it;
     * default `<data source>-h<horizon>`).
     */
    promotion: z.object({
      min_test_accuracy: z.number().min(0).max(1).optional(),
      min_test_accuracy_lo: z.number().min(0).max(1).optional(),
      max_test_ece: z.number().positive().optional(),
      target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, . _ - (one folder name)').optional(),
    }).strict().default({}),
    /** The gated workflow's models (`gatebook pipeline --workflow gated`). */
    workflow: WorkflowOptions.default({}),
    /** The 5-phase decision tree: at most this many optimization iterations. */
    maxOptimizationIterations: z.number().int().min(1).max(10).default(3),
  })
  .strict();
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

/** sha256 of a parsed config (defaults filled in), for provenance and resume. */
export function configSha256(config: ExperimentConfig): string {
  return sha256(canonicalJson(config));
}

/** A zod failure as one line per bad key, each named by its dotted path under `prefix`. */
export function configIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => {
    const key = [prefix, ...i.path].filter((p) => p !== '').join('.') || '(top level)';
    const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return `  ${key}: ${i.message}${extra}`;
  });
}

/** A parsed config with dotted-path changes applied, validated again (its gates section stays as parsed). */
export function changedConfig(config: ExperimentConfig, changes: Changes, where: string): ExperimentConfig {
  const parsed = ExperimentConfig.safeParse(withChanges(config, changes));
  if (!parsed.success) throw new InputError(`${where} is not a valid experiment config:\n${configIssues(parsed.error).join('\n')}`);
  return parsed.data;
}
