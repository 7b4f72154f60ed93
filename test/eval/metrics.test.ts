import { describe, expect, it } from 'vitest';
import {
  accuracy, averagePrecision, balancedAccuracy, brier, confusion, f1, logLoss, precision, recall, rocAuc, undefinedReason,
} from '../../lib/eval/metrics';
import { calibrationError } from '../../lib/eval/calibrationError';
import { bootstrapCI } from '../../lib/eval/bootstrap';
import { binomialTest, binomialTestGreater, mcnemar } from '../../lib/eval/significance';
import { Random } from '../../lib/util/random';

/** References written from the definitions, independent of the implementation. */
const ref = {
  auc(y: number[], p: number[]): number {
    let pairs = 0, wins = 0;
    for (let i = 0; i < y.length; i++) for (let j = 0; j < y.length; j++) {
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        wins += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
    }
    return wins / pairs;
  },
  ap(y: number[], p: number[]): number {
    const thresholds = [...new Set(p)].sort((a, b) => b - a);
    const positives = y.filter((v) => v === 1).length;
    let prevRecall = 0, sum = 0;
    for (const t of thresholds) {
      const selected = y.filter((_, i) => p[i] >= t);
      const tp = selected.filter((v) => v === 1).length;
      const r = tp / positives;
      sum += (r - prevRecall) * (tp / selected.length);
      prevRecall = r;
    }
    return sum;
  },
  ece(y: number[], p: number[], bins: number): number {
    let total = 0;
    for (let b = 0; b < bins; b++) {
      const idx = p.map((v, i) => i).filter((i) => (b === bins - 1 ? p[i] >= b / bins : p[i] >= b / bins && p[i] < (b + 1) / bins));
      if (!idx.length) continue;
      const conf = idx.reduce((s, i) => s + p[i], 0) / idx.length;
      const acc = idx.reduce((s, i) => s + y[i], 0) / idx.length;
      total += (idx.length / y.length) * Math.abs(acc - conf);
    }
    return total;
  },
};

function randomCase(n: number, seed: number, ties: boolean) {
  const r = new Random(seed);
  const y = Array.from({ length: n }, () => (r.uniform() < 0.4 ? 1 : 0));
  const p = y.map((v) => {
    const x = Math.min(0.999, Math.max(0.001, 0.5 + (v - 0.5) * 0.3 + r.normal() * 0.25));
    return ties ? Math.round(x * 10) / 10 : x;
  });
  return { y, p };
}

describe('metrics agree with their definitions', () => {
  it('on random and heavily tied scores', () => {
    for (const [seed, ties] of [[1, false], [2, true], [3, true], [4, false]] as const) {
      const { y, p } = randomCase(300, seed, ties);
      expect(rocAuc(y, p)).toBeCloseTo(ref.auc(y, p), 12);
      expect(averagePrecision(y, p)).toBeCloseTo(ref.ap(y, p), 12);
      const c = confusion(y, p);
      expect(c.tp + c.fp + c.tn + c.fn).toBe(300);
      expect(accuracy(y, p)).toBeCloseTo(y.filter((v, i) => (p[i] > 0.5 ? 1 : 0) === v).length / 300, 12);
      const tp = y.filter((v, i) => v === 1 && p[i] > 0.5).length;
      const predicted = p.filter((v) => v > 0.5).length;
      const positives = y.filter((v) => v === 1).length;
      expect(precision(y, p)).toBeCloseTo(tp / predicted, 12);
      expect(recall(y, p)).toBeCloseTo(tp / positives, 12);
      expect(f1(y, p)).toBeCloseTo((2 * (tp / predicted) * (tp / positives)) / (tp / predicted + tp / positives), 12);
      const tn = y.filter((v, i) => v === 0 && p[i] <= 0.5).length;
      expect(balancedAccuracy(y, p)).toBeCloseTo((tp / positives + tn / (300 - positives)) / 2, 12);
      const clip = (q: number) => Math.min(1 - 1e-15, Math.max(1e-15, q));
      expect(logLoss(y, p)).toBeCloseTo(-y.reduce((s, v, i) => s + (v ? Math.log(clip(p[i])) : Math.log(1 - clip(p[i]))), 0) / 300, 12);
      expect(brier(y, p)).toBeCloseTo(y.reduce((s, v, i) => s + (p[i] - v) ** 2, 0) / 300, 12);
      expect(calibrationError(y, p, { bins: 15 }).ece).toBeCloseTo(ref.ece(y, p, 15), 12);
    }
  });

  it('known small values (as scikit-learn gives them)', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333333333, 9);
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(1e-15, 14); // clipped, never −log(0)
  });

  it('edge cases: NaN with a reason, never a crash or a silent 0', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNaN();
    expect(undefinedReason('roc_auc', [1, 1, 1], [0.2, 0.5, 0.9])).toBe('roc_auc: only one class in the labels (all 1)');
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5); // constant scores: chance
    expect(precision([0, 1], [0.1, 0.2])).toBeNaN();
    expect(undefinedReason('precision', [0, 1], [0.1, 0.2])).toBe('precision: no positive predictions');
    expect(averagePrecision([0, 0], [0.3, 0.7])).toBeNaN();
    expect(accuracy([1], [0.9])).toBe(1); // n = 1
    expect(accuracy([], [])).toBeNaN();
    expect(undefinedReason('accuracy', [], [])).toBe('accuracy: no samples');
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/label 1 is 2: labels must be 0 or 1/);
    expect(() => accuracy([0, 1], [0.1])).toThrow(/differ in length/);
  });
});

describe('calibration error', () => {
  it('is 0 for a perfectly calibrated histogram and finds the worst bin', () => {
    const y = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
    const p = [0.3, 0.3, 0.3, 0.3, ...new Array(6).fill(1)].map((v, i) => (i < 4 ? 0.25 : 1));
    const r = calibrationError(y, p, { bins: 4 });
    expect(r.ece).toBeCloseTo(0, 12);
    const skewed = calibrationError([0, 0, 1, 1], [0.9, 0.9, 0.1, 0.1], { bins: 10 });
    expect(skewed.mce).toBeCloseTo(0.9, 12);
    expect(skewed.bins.map((b) => b.count)).toEqual([2, 2]);
    expect(() => calibrationError([0, 1], [0.2, 1.3])).toThrow('probability 1 is 1.3: calibration error needs probabilities in [0, 1]');
  });

  it('equal-mass bins keep ties together and hold nearly equal counts', () => {
    const { y, p } = randomCase(1000, 9, false);
    const r = calibrationError(y, p, { bins: 10, strategy: 'quantile' });
    expect(r.bins).toHaveLength(10);
    for (const b of r.bins) expect(Math.abs(b.count - 100)).toBeLessThanOrEqual(1);
    const tied = calibrationError([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], { bins: 4, strategy: 'quantile' });
    expect(tied.bins).toHaveLength(1);
  });
});

describe('bootstrap and significance', () => {
  it('bootstrap intervals are seeded, contain the estimate, and narrow with n', () => {
    const small = randomCase(200, 5, false);
    const large = randomCase(5000, 5, false);
    const a = bootstrapCI(accuracy, small.y, small.p, { samples: 300, seed: 1 });
    expect(bootstrapCI(accuracy, small.y, small.p, { samples: 300, seed: 1 })).toEqual(a);
    expect(a.lo).toBeLessThanOrEqual(a.value);
    expect(a.hi).toBeGreaterThanOrEqual(a.value);
    const b = bootstrapCI(accuracy, large.y, large.p, { samples: 300, seed: 1 });
    expect(b.hi - b.lo).toBeLessThan((a.hi - a.lo) / 3);
    expect(bootstrapCI(rocAuc, [1, 1], [0.2, 0.3], { samples: 20 })).toMatchObject({ samples: 0 });
  });

  it('exact binomial and McNemar p-values match known values', () => {
    expect(binomialTest(7, 10, 0.5)).toBeCloseTo(0.34375, 10); // scipy.stats.binomtest(7, 10).pvalue
    expect(binomialTest(0, 10, 0.5)).toBeCloseTo(2 / 1024, 12);
    // P(X=3) = 0.2013 for Bin(10, 0.2); outcomes no more likely: 0, 3, 4, 5, …, 10
    expect(binomialTest(3, 10, 0.2)).toBeCloseTo(0.1073741824 + 0.201326592 + 0.088080384 + 0.0264241152 + 0.005505024 + 0.000786432 + 0.0000737280 + 0.000004096 + 0.0000001024, 9);
    expect(binomialTestGreater(8, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    const m = mcnemar([1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 0, 1], [0, 0, 0, 1, 0, 0]);
    expect(m).toMatchObject({ modelOnly: 3, baselineOnly: 1 });
    expect(m.pValue).toBeCloseTo(0.625, 12);
  });
});
