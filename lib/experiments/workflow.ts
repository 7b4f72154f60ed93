import { z } from 'zod';

/**
 * The `workflow:` section of an experiment config: what the gated workflow's models are
 * (MiniRocket control, masked pretraining, fine-tuning, augmentation, simple LSTM, ensemble).
 * Schemas only (no TensorFlow here), so configs load fast.
 */

/** The MiniRocket paper's ridge grid (10 alphas on a log scale from 1e-3), extended to 1e6: ~10k features need strong shrinkage. */
export const DEFAULT_ALPHAS = Array.from({ length: 10 }, (_, i) => 10 ** (-3 + (9 * i) / 9));

export const MiniRocketParams = z.object({
  numFeatures: z.number().int().min(84).max(50_000).default(10_000),
  /** ridge with alpha by leave-one-out CV for small n, logistic for large n (the paper's rule); `auto` picks by `ridgeMaxExamples` */
  classifier: z.enum(['auto', 'ridge', 'logistic']).default('auto'),
  ridgeMaxExamples: z.number().int().positive().default(2000),
  alphas: z.array(z.number().positive()).min(1).default(DEFAULT_ALPHAS),
  /** ridge's alpha: blocked cross-validation over this many contiguous folds of the training windows */
  cvFolds: z.number().int().min(2).max(20).default(5),
  /** bars between a held-out block and the windows fitted on (window + horizon covers the overlap and the label) */
  cvPurgeBars: z.number().int().nonnegative().default(75),
  /** L2 of the logistic head */
  l2: z.number().nonnegative().default(1e-3),
}).strict();
export type MiniRocketParams = z.infer<typeof MiniRocketParams>;

export const PretrainOptions = z.object({
  /** the encoder: a bidirectional LSTM of this many units per direction and layers */
  units: z.number().int().min(1).max(512).default(32),
  layers: z.number().int().min(1).max(4).default(1),
  /** share of time steps hidden from the encoder */
  maskRatio: z.number().gt(0).lt(1).default(0.15),
  /** `random`: steps masked independently; `patch`: contiguous runs of `patchLength` steps */
  maskStrategy: z.enum(['random', 'patch']).default('patch'),
  patchLength: z.number().int().min(1).default(5),
  epochs: z.number().int().positive().default(8),
  patience: z.number().int().positive().default(3),
  batchSize: z.number().int().positive().default(256),
  learningRate: z.number().positive().default(1e-3),
  clipNorm: z.number().nonnegative().default(1),
}).strict();
export type PretrainOptions = z.infer<typeof PretrainOptions>;

export const AUGMENT_METHODS = ['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice'] as const;
export type AugmentMethod = (typeof AUGMENT_METHODS)[number];

export const AugmentOptions = z.object({
  methods: z.array(z.enum(AUGMENT_METHODS)).min(1).default([...AUGMENT_METHODS]),
  /** augmented windows per method, as a share of the training windows */
  share: z.number().gt(0).max(5).default(0.2),
  jitterSigma: z.number().nonnegative().default(0.03),
  scalingSigma: z.number().nonnegative().default(0.1),
  warpSigma: z.number().nonnegative().default(0.2),
  warpKnots: z.number().int().min(1).max(20).default(4),
  /** window slicing keeps this share of the steps and stretches it back to the full window */
  sliceRatio: z.number().gt(0).max(1).default(0.9),
  /** a method's windows are dropped when any feature's two-sample KS statistic against the real training values exceeds this */
  maxKs: z.number().gt(0).max(1).default(0.1),
}).strict();
export type AugmentOptions = z.infer<typeof AugmentOptions>;

export const FinetuneOptions = z.object({
  /** phase 1: the pretrained encoder frozen, the head trained for this many epochs */
  headEpochs: z.number().int().positive().default(3),
  headLearningRate: z.number().positive().default(3e-3),
  /** phase 2: every layer, at the learning rate × `lrFactor` */
  epochs: z.number().int().positive().default(10),
  learningRate: z.number().positive().default(1e-3),
  lrFactor: z.number().gt(0).max(1).default(0.3),
  patience: z.number().int().positive().default(4),
  dropout: z.number().min(0).lt(1).default(0.2),
}).strict();
export type FinetuneOptions = z.infer<typeof FinetuneOptions>;

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
  ensemble: z.object({
    /** each member calibrated by this, out of fold on validation, before averaging */
    calibration: z.enum(['isotonic', 'platt', 'temperature']).default('isotonic'),
    folds: z.number().int().min(2).max(20).default(5),
  }).strict().default({}),
}).strict();
export type WorkflowOptions = z.infer<typeof WorkflowOptions>;
