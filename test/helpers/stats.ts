/** Plain statistics written from their definitions, for checking the library's numbers. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

export function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / xs.length;
}

export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

export function kurtosis(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let m2 = 0, m4 = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - m;
    m2 += d * d;
    m4 += d ** 4;
  }
  m2 /= xs.length;
  m4 /= xs.length;
  return m4 / (m2 * m2);
}

export function logReturns(close: ArrayLike<number>): Float64Array {
  const out = new Float64Array(close.length - 1);
  for (let i = 1; i < close.length; i++) out[i - 1] = Math.log(close[i] / close[i - 1]);
  return out;
}
