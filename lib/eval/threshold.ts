import type { Labels, Scores } from './metrics';

/*
 * Decision thresholds chosen on data that is not scored with them: a threshold tuned and
 * judged on the same windows flatters whatever it is applied to, and a fixed 0.5 penalizes
 * calibrated probabilities pulled towards a base rate below 0.5.
 */

/**
 * The threshold t (predict 1 when p > t) with the highest F1 on (y, p), exactly: every cut
 * between distinct sorted probabilities is tried (and "predict 1 everywhere"); ties keep the
 * highest threshold. Thresholds are midpoints between neighbouring distinct probabilities.
 */
export function bestF1Threshold(y: Labels, p: Scores): number {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  const positives = Array.from(y).reduce((s, v) => s + v, 0);
  let best = { f1: -1, threshold: 0.5 };
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    tp += y[order[k]];
    const next = k + 1 < order.length ? p[order[k + 1]] : -Infinity;
    if (next === p[order[k]]) continue; // ties are predicted together
    const predicted = k + 1;
    const f1 = (2 * tp) / (predicted + positives);
    if (f1 > best.f1) best = { f1, threshold: next === -Infinity ? p[order[k]] - 1e-9 : (p[order[k]] + next) / 2 };
  }
  return best.threshold;
}

/**
 * 0/1 predictions over `folds` contiguous blocks (in time), each block thresholded at the
 * F1-best threshold of the other blocks: every scored window's threshold was chosen without it.
 */
export function crossFittedVotes(y: Labels, p: Scores, folds: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  const size = Math.ceil(n / folds);
  for (let f = 0; f < folds; f++) {
    const lo = f * size;
    const hi = Math.min(n, lo + size);
    if (lo >= hi) continue;
    const others = [...Array.from({ length: lo }, (_, i) => i), ...Array.from({ length: n - hi }, (_, i) => hi + i)];
    const t = bestF1Threshold(others.map((i) => y[i]), others.map((i) => p[i]));
    for (let i = lo; i < hi; i++) out[i] = p[i] > t ? 1 : 0;
  }
  return out;
}
