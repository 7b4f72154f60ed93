/**
 * Exact tests for "does the model beat the baseline": the two-sided exact binomial test,
 * and McNemar's exact test on the pairs where model and baseline disagree.
 */

/** log C(n, k) via log-gamma sums (exact enough for n in the millions). */
function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const cache: number[] = [0];
function logFactorial(n: number): number {
  for (let i = cache.length; i <= n; i++) cache[i] = cache[i - 1] + Math.log(i);
  return cache[n];
}

function binomialPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
}

/**
 * Two-sided exact binomial test of k successes in n trials against probability p: the sum
 * of the probabilities of all outcomes no more likely than the observed one (as R and scipy).
 */
export function binomialTest(k: number, n: number, p = 0.5): number {
  if (n === 0) return 1;
  const observed = binomialPmf(k, n, p);
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const q = binomialPmf(i, n, p);
    if (q <= observed * (1 + 1e-7)) total += q;
  }
  return Math.min(1, total);
}

/** One-sided exact binomial test: P(X ≥ k) for X ~ Bin(n, p). */
export function binomialTestGreater(k: number, n: number, p = 0.5): number {
  let total = 0;
  for (let i = k; i <= n; i++) total += binomialPmf(i, n, p);
  return Math.min(1, total);
}

export interface McNemarResult {
  /** model right, baseline wrong */
  modelOnly: number;
  /** baseline right, model wrong */
  baselineOnly: number;
  /** two-sided exact p-value */
  pValue: number;
}

/** McNemar's exact test of model vs baseline correctness on the same samples. */
export function mcnemar(y: ArrayLike<number>, modelPred: ArrayLike<number>, baselinePred: ArrayLike<number>): McNemarResult {
  let modelOnly = 0;
  let baselineOnly = 0;
  for (let i = 0; i < y.length; i++) {
    const m = modelPred[i] === y[i];
    const b = baselinePred[i] === y[i];
    if (m && !b) modelOnly++;
    else if (b && !m) baselineOnly++;
  }
  return { modelOnly, baselineOnly, pValue: binomialTest(modelOnly, modelOnly + baselineOnly, 0.5) };
}
