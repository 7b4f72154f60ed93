import type { Labels, Scores } from './metrics';

/*
 * Decision thresholds chosen on data that is not scored with them: a threshold tuned and
 * judged on the same windows flatters whatever it is applied to, and a fixed 0.5 is not the
 * best cut for every model.
 */

export type ThresholdCriterion = 'accuracy' | 'f1';

/**
 * The threshold t (predict 1 when p > t) with the highest accuracy or F1 on (y, p),
 * exactly: every cut between distinct sorted probabilities is tried, and "predict 1
 * everywhere" and "predict 0 everywhere"; ties keep the first found from the top (the
 * highest threshold). Thresholds are midpoints between neighbouring distinct probabilities.
 */
export function bestThreshold(y: Labels, p: Scores, criterion: ThresholdCriterion = 'accuracy'): number {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  const positives = Array.from(y).reduce((s, v) => s + v, 0);
  const score = (tp: number, predicted: number) => (criterion === 'f1' ? (2 * tp) / (predicted + positives) : (tp + (n - predicted - (positives - tp))) / n);
  let best = { score: score(0, 0), threshold: n ? p[order[0]] + 1e-9 : 0.5 }; // nothing predicted 1
  let tp = 0;
  for (let k = 0; k < n; k++) {
    tp += y[order[k]];
    const next = k + 1 < n ? p[order[k + 1]] : -Infinity;
    if (next === p[order[k]]) continue; // ties are predicted together
    const s = score(tp, k + 1);
    if (s > best.score) best = { score: s, threshold: next === -Infinity ? p[order[k]] - 1e-9 : (p[order[k]] + next) / 2 };
  }
  return best.threshold;
}

/**
 * 0/1 predictions over `folds` contiguous blocks (in time), each block thresholded at the
 * best threshold (by `criterion`) of the other blocks: every scored window's threshold was
 * chosen without it.
 */
export function crossFittedVotes(y: Labels, p: Scores, folds: number, criterion: ThresholdCriterion = 'accuracy'): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  const size = Math.ceil(n / folds);
  for (let f = 0; f < folds; f++) {
    const lo = f * size;
    const hi = Math.min(n, lo + size);
    if (lo >= hi) continue;
    const others = [...Array.from({ length: lo }, (_, i) => i), ...Array.from({ length: n - hi }, (_, i) => hi + i)];
    const t = bestThreshold(others.map((i) => y[i]), others.map((i) => p[i]), criterion);
    for (let i = lo; i < hi; i++) out[i] = p[i] > t ? 1 : 0;
  }
  return out;
}
