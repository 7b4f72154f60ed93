import { z } from 'zod';

export const Schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  z.object({ kind: z.literal('step'), everyEpochs: z.number().int().positive().default(5), factor: z.number().gt(0).lt(1).default(0.5) }).strict(),
  z.object({ kind: z.literal('cosine'), minLearningRate: z.number().nonnegative().default(1e-5) }).strict(),
  z.object({
    kind: z.literal('plateau'),
    patience: z.number().int().positive().default(2),
    factor: z.number().gt(0).lt(1).default(0.5),
    minLearningRate: z.number().nonnegative().default(1e-5),
  }).strict(),
]);
export type Schedule = z.infer<typeof Schedule>;

/** How a network is trained. Defaults are the seed's baseline: Adam, LR 1e-3, 20 epochs. */
export const TrainOptions = z.object({
  epochs: z.number().int().positive().default(20),
  batchSize: z.number().int().positive().default(256),
  learningRate: z.number().positive().default(1e-3),
  schedule: Schedule.default({ kind: 'constant' }),
  /** Linear warm-up from LR/10 over this many epochs. */
  warmupEpochs: z.number().int().nonnegative().default(0),
  /** Early stopping: epochs without a better validation loss before stopping. */
  patience: z.number().int().positive().default(5),
  restoreBest: z.boolean().default(true),
  classWeighted: z.boolean().default(true),
  balanced: z.boolean().default(false),
  /** Clip gradients to this global norm (0: off). */
  clipNorm: z.number().nonnegative().default(1),
  seed: z.number().int().nonnegative().default(42),
  /**
   * Processes that compute each batch's gradients (data parallelism over worker threads on
   * the wasm and cpu backends): 'auto' is GATEBOOK_WORKERS, else every core. The same seed and
   * the same count give the same history; another count agrees within float rounding.
   */
  workers: z.union([z.number().int().positive(), z.literal('auto')]).default('auto'),
  /** Cap on batches per epoch (a smoke test or a quick look); all by default. */
  maxBatchesPerEpoch: z.number().int().positive().optional(),
}).strict();
export type TrainOptions = z.infer<typeof TrainOptions>;
export type TrainOptionsInput = z.input<typeof TrainOptions>;
