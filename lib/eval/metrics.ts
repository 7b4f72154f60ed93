/**
 * Binary classification metrics on typed arrays: labels in {0, 1}, scores or probabilities.
 * Where a metric is undefined (one class only, no positive predictions, n = 0) it is NaN,
 * and `undefinedReason` says why — never a crash, never a silent 0.
 */
export type Labels = ArrayLike<number>;
export type Scores = ArrayLike<number>;

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function check(y: Labels, p: Scores): void {
  if (y.length !== p.length) throw new Error(`labels (${y.length}) and scores (${p.length}) differ in length`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`label ${i} is ${y[i]}: labels must be 0 or 1`);
    if (Number.isNaN(p[i])) throw new Error(`score ${i} is NaN`);
  }
}

export function confusion(y: Labels, p: Scores, threshold = 0.5): Confusion {
  check(y, p);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = p[i] > threshold ? 1 : 0;
    if (predicted === 1) y[i] === 1 ? c.tp++ : c.fp++;
    else y[i] === 1 ? c.fn++ : c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);

export function accuracy(y: Labels, p: Scores, threshold = 0.5): number {
  const c = confusion(y, p, threshold);
  return ratio(c.tp + c.tn, y.length);
}

export function precision(y: Labels, p: Scores, threshold = 0.5): number {
  const c = confusion(y, p, threshold);
  return ratio(c.tp, c.tp + c.fp);
}

export function recall(y: Labels, p: Scores, threshold = 0.5): number {
  const c = confusion(y, p, threshold);
  return ratio(c.tp, c.tp + c.fn);
}

export function f1(y: Labels, p: Scores, threshold = 0.5): number {
  const c = confusion(y, p, threshold);
  return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
}

/** Mean of the recall of each class; NaN when a class is absent. */
export function balancedAccuracy(y: Labels, p: Scores, threshold = 0.5): number {
  const c = confusion(y, p, threshold);
  return (ratio(c.tp, c.tp + c.fn) + ratio(c.tn, c.tn + c.fp)) / 2;
}

/**
 * ROC AUC as the Mann–Whitney statistic with average ranks for ties: the probability that a
 * random positive scores above a random negative, ties counting one half. Exact with ties.
 */
export function rocAuc(y: Labels, p: Scores): number {
  check(y, p);
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * PR AUC as average precision (scikit-learn's definition): Σ (Rₙ − Rₙ₋₁) · Pₙ over the
 * distinct thresholds in decreasing order, tied scores entering together.
 */
export function averagePrecision(y: Labels, p: Scores): number {
  check(y, p);
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  if (positives === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
    for (let k = i; k <= j; k++) tp += y[order[k]];
    seen = j + 1;
    const r = tp / positives;
    ap += (r - previousRecall) * (tp / seen);
    previousRecall = r;
    i = j + 1;
  }
  return ap;
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(y: Labels, p: Scores): number {
  check(y, p);
  if (y.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]));
    sum -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / y.length;
}

/** Mean squared difference between probability and outcome. */
export function brier(y: Labels, p: Scores): number {
  check(y, p);
  if (y.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (p[i] - y[i]) ** 2;
  return sum / y.length;
}

/** Why a metric is NaN for these labels and scores, or null when it is defined. */
export function undefinedReason(metric: string, y: Labels, p: Scores, threshold = 0.5): string | null {
  if (y.length === 0) return `${metric}: no samples`;
  let positives = 0;
  let predicted = 0;
  for (let i = 0; i < y.length; i++) {
    positives += y[i];
    predicted += p[i] > threshold ? 1 : 0;
  }
  const oneClass = positives === 0 || positives === y.length;
  if (['roc_auc', 'balanced_accuracy'].includes(metric) && oneClass) return `${metric}: only one class in the labels (${positives === 0 ? 'all 0' : 'all 1'})`;
  if (['average_precision', 'recall'].includes(metric) && positives === 0) return `${metric}: no positive labels`;
  if (metric === 'precision' && predicted === 0) return 'precision: no positive predictions';
  if (metric === 'f1' && positives === 0 && predicted === 0) return 'f1: no positive labels and no positive predictions';
  return null;
}
