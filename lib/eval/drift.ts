import type pl from 'nodejs-polars';
import { windowSource } from '../tensors/frameSource';

/**
 * Distribution drift of one feature between a reference sample (train) and another
 * (validation or test): population stability index over the reference's decile bins.
 * (The two-sample Kolmogorov–Smirnov statistic is `ksStatistic` in util/ks.ts.)
 */
export function psi(reference: ArrayLike<number>, other: ArrayLike<number>, bins = 10): number {
  const sorted = Float64Array.from(reference).sort();
  const edges = Array.from({ length: bins - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / bins)]);
  const share = (xs: ArrayLike<number>) => {
    const counts = new Array(bins).fill(0);
    for (let i = 0; i < xs.length; i++) {
      let b = 0;
      while (b < edges.length && xs[i] >= edges[b]) b++;
      counts[b]++;
    }
    return counts.map((c) => Math.max(c / xs.length, 1e-4));
  };
  const e = share(reference);
  const a = share(other);
  return e.reduce((s, ei, i) => s + (a[i] - ei) * Math.log(a[i] / ei), 0);
}

/** Rows of a frame: a range, or several (one per symbol). */
type Rows = { start: number; end: number } | ReadonlyArray<{ start: number; end: number }>;

/** The largest PSI of any of `features` between the rows of `train` and those of `part`, and which feature it was. */
export function maxDrift(frame: pl.DataFrame, train: Rows, part: Rows, features: string[]): { psi: number; feature: string } {
  const source = windowSource(frame, features);
  const f = source.features;
  const column = (k: number, rows: Rows) =>
    Float64Array.from(('start' in rows ? [rows] : rows).flatMap((range) => Array.from({ length: range.end - range.start }, (_, r) => source.matrix[(range.start + r) * f + k])));
  let worst = { psi: 0, feature: '' };
  for (let k = 0; k < f; k++) {
    const value = psi(column(k, train), column(k, part));
    if (value > worst.psi) worst = { psi: value, feature: features[k] };
  }
  return worst;
}
