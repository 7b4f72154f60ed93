import { describe, expect, it } from 'vitest';
import { applyIsotonic, fitIsotonic } from '../../lib/eval/isotonic';
import { applyPlatt, fitPlatt, logit } from '../../lib/eval/platt';
import { applyTemperature, fitTemperature } from '../../lib/eval/temperature';
import { applyCalibrator, fitCalibrator } from '../../lib/eval/calibrate';
import { calibrationError } from '../../lib/eval/calibrationError';
import { logLoss } from '../../lib/eval/metrics';
import { Random } from '../../lib/util/random';

/**
 * Isotonic regression from its min–max characterization (Barlow et al.): on the distinct
 * sorted scores with block means m and weights w, ŷᵢ = max over j ≤ i of min over k ≥ i of
 * the weighted mean of blocks j..k. No pooling involved.
 */
function isotonicReference(y: number[], p: number[]): Map<number, number> {
  const xs = [...new Set(p)].sort((a, b) => a - b);
  const w = xs.map((x) => p.filter((v) => v === x).length);
  const m = xs.map((x, i) => y.filter((_, k) => p[k] === x).reduce((s, v) => s + v, 0) / w[i]);
  const mean = (j: number, k: number) => {
    let s = 0, n = 0;
    for (let t = j; t <= k; t++) {
      s += m[t] * w[t];
      n += w[t];
    }
    return s / n;
  };
  return new Map(xs.map((x, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let inner = Infinity;
      for (let k = i; k < xs.length; k++) inner = Math.min(inner, mean(j, k));
      best = Math.max(best, inner);
    }
    return [x, best];
  }));
}

function miscalibrated(n: number, seed: number, ties = false) {
  const r = new Random(seed);
  const p: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const truth = r.uniform();
    y.push(r.uniform() < truth ? 1 : 0);
    const over = 1 / (1 + Math.exp(-3 * logit(Math.min(0.99, Math.max(0.01, truth))))); // overconfident
    p.push(ties ? Math.round(over * 20) / 20 : over);
  }
  return { y, p };
}

describe('isotonic regression', () => {
  it('matches the min–max definition on random and tied data', () => {
    for (const [seed, ties] of [[1, false], [2, true], [3, true]] as const) {
      const { y, p } = miscalibrated(120, seed, ties);
      const state = fitIsotonic(y, p);
      const reference = isotonicReference(y, p);
      const fitted = applyIsotonic(state, state.x);
      state.x.forEach((x, i) => expect(fitted[i]).toBeCloseTo(reference.get(x)!, 12));
      for (let i = 1; i < fitted.length; i++) expect(fitted[i]).toBeGreaterThanOrEqual(fitted[i - 1]);
    }
  });

  it('merges tied scores as scikit-learn does, interpolates between points, clips outside', () => {
    // ties at 0.5 merge to one point (mean 0.5, weight 2); PAV pools 1, 0.5, 0 → 0.5
    const state = fitIsotonic([1, 0, 1, 0, 1], [0.2, 0.5, 0.5, 0.8, 0.9]);
    expect(state.x).toEqual([0.2, 0.5, 0.8, 0.9]);
    expect(state.y).toEqual([0.5, 0.5, 0.5, 1]);
    expect(Array.from(applyIsotonic(state, [0, 0.85, 2]))).toEqual([0.5, expect.closeTo(0.75, 12), 1]);
  });
});

describe('Platt and temperature scaling', () => {
  it('Platt finds the minimum of its objective (checked by a coarse-to-fine grid)', () => {
    const { y, p } = miscalibrated(400, 4);
    const state = fitPlatt(y, p);
    const positives = y.filter((v) => v === 1).length;
    const t = y.map((v) => (v ? (positives + 1) / (positives + 2) : 1 / (y.length - positives + 2)));
    const objective = (a: number, b: number) => -t.reduce((s, ti, i) => {
      const q = 1 / (1 + Math.exp(-(a * logit(p[i]) + b)));
      return s + ti * Math.log(q) + (1 - ti) * Math.log(1 - q);
    }, 0);
    let best = { a: 0, b: 0, f: Infinity };
    for (let step = 0.1, ca = 1, cb = 0; step > 1e-4; step /= 5) {
      for (let a = ca - 10 * step; a <= ca + 10 * step; a += step) for (let b = cb - 10 * step; b <= cb + 10 * step; b += step) {
        const f = objective(a, b);
        if (f < best.f) best = { a, b, f };
      }
      ca = best.a;
      cb = best.b;
    }
    expect(state.a).toBeCloseTo(best.a, 3);
    expect(state.b).toBeCloseTo(best.b, 3);
    expect(state.a).toBeLessThan(0.6); // the scores were overconfident: a shrinks them
  });

  it('temperature minimizes the log loss and softens overconfident scores', () => {
    const { y, p } = miscalibrated(500, 6);
    const { temperature } = fitTemperature(y, p);
    const loss = (T: number) => logLoss(y, p.map((v) => 1 / (1 + Math.exp(-logit(v) / T))));
    let gridBest = 1;
    for (let T = 0.2; T <= 6; T += 0.001) if (loss(T) < loss(gridBest)) gridBest = T;
    expect(temperature).toBeCloseTo(gridBest, 2);
    expect(temperature).toBeGreaterThan(1.5);
    expect(logLoss(y, applyTemperature({ kind: 'temperature', temperature }, p))).toBeLessThan(logLoss(y, p));
  });

  it('every calibrator lowers the expected calibration error of overconfident scores on held-out data', () => {
    const fit = miscalibrated(3000, 7);
    const test = miscalibrated(3000, 8);
    const before = calibrationError(test.y, test.p).ece;
    for (const kind of ['isotonic', 'platt', 'temperature']) {
      const after = calibrationError(test.y, applyCalibrator(fitCalibrator(kind, fit.y, fit.p), test.p)).ece;
      expect(after, kind).toBeLessThan(before / 2);
    }
    expect(() => fitCalibrator('beta', fit.y, fit.p)).toThrow(/invalid calibrator: beta/);
  });
});

describe('edge cases', () => {
  it('constant scores, one class, a single sample', () => {
    expect(Array.from(applyIsotonic(fitIsotonic([0, 1, 1], [0.5, 0.5, 0.5]), [0.1, 0.9]))).toEqual([expect.closeTo(2 / 3, 9), expect.closeTo(2 / 3, 9)]);
    const one = fitPlatt([1, 1, 1], [0.6, 0.7, 0.8]);
    expect(Number.isFinite(one.a) && Number.isFinite(one.b)).toBe(true);
    expect(fitIsotonic([1], [0.3]).y).toEqual([1]);
    expect(() => fitTemperature([], [])).toThrow(/no samples/);
    expect(applyPlatt(one, [0.6])[0]).toBeGreaterThan(0.5);
  });
});
