import type { Labels, Scores } from './metrics';

/** A fitted isotonic map: increasing steps through (x, y) points, interpolated linearly. */
export interface IsotonicState {
  kind: 'isotonic';
  x: number[];
  y: number[];
}

/**
 * Isotonic regression by pool-adjacent-violators, as scikit-learn fits it: sort by score,
 * merge tied scores into one point (mean label, summed weight), pool adjacent blocks while
 * they decrease; predict by linear interpolation between the points, clipped at both ends.
 */
export function fitIsotonic(y: Labels, p: Scores): IsotonicState {
  if (y.length === 0) throw new Error('isotonic: no samples to fit');
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const xs: number[] = [];
  const means: number[] = [];
  const weights: number[] = [];
  for (const i of order) {
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === p[i]) {
      means[last] = (means[last] * weights[last] + y[i]) / (weights[last] + 1);
      weights[last] += 1;
    } else {
      xs.push(p[i]);
      means.push(y[i]);
      weights.push(1);
    }
  }
  return { kind: 'isotonic', x: xs, y: poolAdjacentViolators(means, weights) };
}

/** Weighted PAV: the non-decreasing sequence closest to `values` in weighted least squares. */
export function poolAdjacentViolators(values: number[], weights: number[]): number[] {
  const blockValue: number[] = [];
  const blockWeight: number[] = [];
  const blockSize: number[] = [];
  for (let i = 0; i < values.length; i++) {
    blockValue.push(values[i]);
    blockWeight.push(weights[i]);
    blockSize.push(1);
    while (blockValue.length > 1 && blockValue[blockValue.length - 2] > blockValue[blockValue.length - 1]) {
      const w = blockWeight.pop()!;
      const v = blockValue.pop()!;
      const s = blockSize.pop()!;
      const k = blockValue.length - 1;
      blockValue[k] = (blockValue[k] * blockWeight[k] + v * w) / (blockWeight[k] + w);
      blockWeight[k] += w;
      blockSize[k] += s;
    }
  }
  return blockValue.flatMap((v, k) => new Array(blockSize[k]).fill(v));
}

export function applyIsotonic(state: IsotonicState, p: Scores): Float64Array {
  const { x, y } = state;
  return Float64Array.from(p, (v) => {
    if (v <= x[0]) return y[0];
    if (v >= x[x.length - 1]) return y[y.length - 1];
    let lo = 0;
    let hi = x.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x[mid] <= v) lo = mid;
      else hi = mid;
    }
    return y[lo] + ((y[hi] - y[lo]) * (v - x[lo])) / (x[hi] - x[lo]);
  });
}
