/** The q-quantile of ascending `sorted` (its first `size` values), linearly interpolated as numpy's default. */
export function quantileSorted(sorted: ArrayLike<number>, q: number, size = sorted.length): number {
  const pos = (size - 1) * q;
  const lo = Math.floor(pos);
  const hi = lo + 1 < size ? lo + 1 : lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
