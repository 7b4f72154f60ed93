import { quantileSorted } from '../util/quantile';

/**
 * Trailing rolling quantiles over typed arrays, several at once, in one pass: a sorted copy
 * of the window is kept up to date (binary search + memmove), so each step costs O(window)
 * moves instead of a sort. Linear interpolation between order statistics, as polars and
 * numpy do. NaN inputs are skipped; a row gets values only once `window` finite values
 * ending at it exist (earlier rows are NaN).
 */
export function rollingQuantiles(values: Float64Array, window: number, quantiles: number[]): Float64Array[] {
  const n = values.length;
  const out = quantiles.map(() => new Float64Array(n).fill(NaN));
  const sorted = new Float64Array(window);
  const ring = new Float64Array(window);
  let size = 0;
  let head = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (size === window) {
      removeSorted(sorted, size, ring[head]);
      size--;
    }
    insertSorted(sorted, size, v);
    size++;
    ring[head] = v;
    head = (head + 1) % window;
    if (size === window) {
      for (let q = 0; q < quantiles.length; q++) out[q][i] = quantileSorted(sorted, quantiles[q], window);
    }
  }
  return out;
}

function lowerBound(sorted: Float64Array, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: Float64Array, size: number, v: number): void {
  const at = lowerBound(sorted, size, v);
  sorted.copyWithin(at + 1, at, size);
  sorted[at] = v;
}

function removeSorted(sorted: Float64Array, size: number, v: number): void {
  const at = lowerBound(sorted, size, v);
  sorted.copyWithin(at, at + 1, size);
}
