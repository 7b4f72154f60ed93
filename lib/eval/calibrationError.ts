import type { Labels, Scores } from './metrics';
import { quantileSorted } from '../util/quantile';

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  meanPredicted: number;
  fractionPositive: number;
}

export interface CalibrationError {
  ece: number;
  mce: number;
  bins: ReliabilityBin[];
}

/**
 * Expected and maximum calibration error over `bins` bins, equal-width on [0, 1]
 * ("uniform") or equal-mass by sorted probability ("quantile"): ECE = Σ (nᵦ / n)·|accᵦ − confᵦ|,
 * MCE = max over non-empty bins. Empty bins are left out. The bins are the reliability curve.
 */
export function calibrationError(y: Labels, p: Scores, options: { bins?: number; strategy?: 'uniform' | 'quantile' } = {}): CalibrationError {
  const nBins = options.bins ?? 15;
  const n = y.length;
  if (n === 0) return { ece: NaN, mce: NaN, bins: [] };
  for (let i = 0; i < n; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new Error(`probability ${i} is ${p[i]}: calibration error needs probabilities in [0, 1]`);
  }
  const assignment = options.strategy === 'quantile' ? quantileBins(p, nBins) : Array.from(p, (v) => Math.min(nBins - 1, Math.floor(v * nBins)));
  const sums = Array.from({ length: nBins }, () => ({ count: 0, p: 0, y: 0, lo: Infinity, hi: -Infinity }));
  for (let i = 0; i < n; i++) {
    const s = sums[assignment[i]];
    s.count++;
    s.p += p[i];
    s.y += y[i];
    s.lo = Math.min(s.lo, p[i]);
    s.hi = Math.max(s.hi, p[i]);
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  let mce = 0;
  sums.forEach((s, b) => {
    if (s.count === 0) return;
    const meanPredicted = s.p / s.count;
    const fractionPositive = s.y / s.count;
    const gap = Math.abs(fractionPositive - meanPredicted);
    ece += (s.count / n) * gap;
    mce = Math.max(mce, gap);
    const uniform = options.strategy !== 'quantile';
    bins.push({ lo: uniform ? b / nBins : s.lo, hi: uniform ? (b + 1) / nBins : s.hi, count: s.count, meanPredicted, fractionPositive });
  });
  return { ece, mce, bins };
}

/**
 * Bin index per sample for equal-mass bins, as scikit-learn's calibration_curve does: edges
 * at the 0, 1/b, …, 1 quantiles (linear interpolation); a sample goes to the number of inner
 * edges strictly below it, so tied probabilities always share a bin.
 */
function quantileBins(p: Scores, bins: number): number[] {
  const sorted = Float64Array.from(p).sort();
  const inner = Array.from({ length: bins - 1 }, (_, k) => quantileSorted(sorted, (k + 1) / bins));
  return Array.from(p, (v) => inner.filter((edge) => edge < v).length);
}
