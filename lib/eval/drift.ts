/**
 * Distribution drift of one feature between a reference sample (train) and another
 * (validation or test): population stability index over the reference's decile bins, and
 * the two-sample Kolmogorov–Smirnov statistic.
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

export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
