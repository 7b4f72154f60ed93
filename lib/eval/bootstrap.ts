import { Random } from '../util/random';
import type { Labels, Scores } from './metrics';
import { quantileSorted } from '../util/quantile';

export interface ConfidenceInterval {
  value: number;
  lo: number;
  hi: number;
  /** resamples whose metric was defined (NaN resamples, e.g. one class only, are left out) */
  samples: number;
}

/**
 * Seeded percentile bootstrap: resample (label, score) pairs with replacement `samples`
 * times and take the α/2 and 1 − α/2 percentiles of the metric. With `block` > 1, a
 * moving-block bootstrap (Künsch 1989): runs of `block` consecutive pairs (circular), for
 * overlapping windows whose errors come in runs — resampling them one by one would make
 * the interval too narrow.
 */
export function bootstrapCI(
  metric: (y: Labels, p: Scores) => number,
  y: Labels,
  p: Scores,
  options: { samples?: number; alpha?: number; seed?: number; block?: number } = {},
): ConfidenceInterval {
  const n = y.length;
  const value = metric(y, p);
  if (n === 0) return { value, lo: NaN, hi: NaN, samples: 0 };
  const rng = new Random(options.seed ?? 42);
  const alpha = options.alpha ?? 0.05;
  const ys = new Float64Array(n);
  const ps = new Float64Array(n);
  const values: number[] = [];
  for (let s = 0; s < (options.samples ?? 1000); s++) {
    const block = Math.max(1, Math.min(n, Math.floor(options.block ?? 1)));
    for (let i = 0; i < n; i += block) {
      const start = rng.int(n);
      for (let k = 0; k < block && i + k < n; k++) {
        const j = (start + k) % n;
        ys[i + k] = y[j];
        ps[i + k] = p[j];
      }
    }
    const v = metric(ys, ps);
    if (!Number.isNaN(v)) values.push(v);
  }
  if (values.length === 0) return { value, lo: NaN, hi: NaN, samples: 0 };
  values.sort((a, b) => a - b);
  return { value, lo: quantileSorted(values, alpha / 2), hi: quantileSorted(values, 1 - alpha / 2), samples: values.length };
}
