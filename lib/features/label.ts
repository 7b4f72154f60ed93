import pl from 'nodejs-polars';
import { z } from 'zod';

/** The label: forward return over `horizon` bars above `threshold` → 1, else 0. */
export const LabelOptions = z
  .object({
    horizon: z.number().int().positive().default(15),
    threshold: z.number().default(0),
    /** Returns within ±deadZone of the threshold get no label (their rows are dropped). */
    deadZone: z.number().nonnegative().default(0),
  })
  .strict();
export type LabelOptions = z.input<typeof LabelOptions>;

/**
 * Expression of the label, null where the horizon runs past the data or the return falls
 * in the dead zone. It reads the future by design: it is the target, never a feature.
 */
export function labelExpr(options: LabelOptions = {}): pl.Expr {
  const o = LabelOptions.parse(options);
  const forward = pl.col('close').shift(-o.horizon).div(pl.col('close')).minus(1);
  const excess = forward.minus(o.threshold);
  return pl
    .when(forward.isNull().or(excess.abs().lt(o.deadZone)))
    .then(pl.lit(null))
    .otherwise(excess.gt(0).cast(pl.Int32))
    .cast(pl.Int32)
    .alias('label');
}
