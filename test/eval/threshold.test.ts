import { describe, expect, it } from 'vitest';
import { accuracy, f1 } from '../../lib/eval/metrics';
import { bestThreshold, crossFittedVotes } from '../../lib/eval/threshold';
import { Random } from '../../lib/util/random';

/** The best score over every cut, tried by brute force with the metric's own definition. */
function bruteForce(y: number[], p: number[], metric: (y: number[], p: number[], t: number) => number): number {
  const cuts = [...new Set(p)].sort((a, b) => a - b);
  const candidates = [cuts[0] - 1, ...cuts.map((v, i) => (i + 1 < cuts.length ? (v + cuts[i + 1]) / 2 : v + 1))];
  return Math.max(...candidates.map((t) => metric(y, p, t)));
}

describe('thresholds chosen on other data', () => {
  const r = new Random(5);
  const y = Array.from({ length: 400 }, () => (r.uniform() < 0.45 ? 1 : 0));
  const p = y.map((v) => Math.min(1, Math.max(0, 0.45 + (v ? 0.08 : -0.04) + 0.2 * (r.uniform() - 0.5))));
  const rounded = p.map((v) => Math.round(v * 20) / 20); // many ties

  it('finds the exact best cut for accuracy and for F1 (ties predicted together)', () => {
    for (const q of [p, rounded]) {
      expect(accuracy(y, q, bestThreshold(y, q, 'accuracy'))).toBeCloseTo(bruteForce(y, q, accuracy), 12);
      expect(f1(y, q, bestThreshold(y, q, 'f1'))).toBeCloseTo(bruteForce(y, q, f1), 12);
    }
  });

  it('F1 prefers predicting up everywhere when the base rate is below one half and the scores are weak', () => {
    const weak = y.map(() => r.uniform());
    const t = bestThreshold(y, weak, 'f1');
    const rate = y.reduce((a, b) => a + b, 0) / y.length;
    expect(f1(y, weak, t)).toBeGreaterThanOrEqual((2 * rate) / (1 + rate) - 1e-12); // at least "always up"
  });

  it('cross-fits: each block is cut at the threshold chosen on the others, never on itself', () => {
    const votes = crossFittedVotes(y, p, 4, 'accuracy');
    for (let f = 0; f < 4; f++) {
      const others = y.map((_, i) => i).filter((i) => Math.floor(i / 100) !== f);
      const t = bestThreshold(others.map((i) => y[i]), others.map((i) => p[i]), 'accuracy');
      for (let i = f * 100; i < (f + 1) * 100; i++) expect(votes[i]).toBe(p[i] > t ? 1 : 0);
    }
    // changing a block's own labels does not move its threshold
    const flipped = y.map((v, i) => (i < 100 ? 1 - v : v));
    expect(Array.from(crossFittedVotes(flipped, p, 4, 'accuracy').slice(0, 100))).toEqual(Array.from(votes.slice(0, 100)));
  });
});
