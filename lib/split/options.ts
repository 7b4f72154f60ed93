import { z } from 'zod';

/**
 * How to split a feature frame in time. The purge gap between parts must cover a model's
 * window plus the label's horizon, so that no sample of a later part shares a bar with the
 * label of an earlier one; the embargo adds bars after it.
 */
export const SplitOptions = z
  .object({
    method: z.enum(['fraction', 'date']).default('fraction'),
    train: z.number().gt(0).lt(1).default(0.7),
    val: z.number().gt(0).lt(1).default(0.15),
    /** With method "date": first timestamps (ISO) of the validation and test parts. */
    valStart: z.string().datetime({ offset: true }).optional(),
    testStart: z.string().datetime({ offset: true }).optional(),
    window: z.number().int().positive().default(60),
    horizon: z.number().int().positive().default(15),
    /** Default: window + horizon. */
    purgeBars: z.number().int().nonnegative().optional(),
    embargoBars: z.number().int().nonnegative().default(0),
  })
  .strict();
export type SplitOptions = z.input<typeof SplitOptions>;

export const WalkForwardOptions = z
  .object({
    folds: z.number().int().min(1).default(5),
    mode: z.enum(['expanding', 'rolling']).default('expanding'),
    /** Fraction of the rows the first fold trains on (rolling: every fold's train size). */
    initialTrain: z.number().gt(0).lt(1).default(0.5),
    window: z.number().int().positive().default(60),
    horizon: z.number().int().positive().default(15),
    purgeBars: z.number().int().nonnegative().optional(),
    embargoBars: z.number().int().nonnegative().default(0),
  })
  .strict();
export type WalkForwardOptions = z.input<typeof WalkForwardOptions>;
