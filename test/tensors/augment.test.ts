import { describe, expect, it } from 'vitest';
import { AugmentOptions, augmentTrainingSet, augmentWindow } from '../../lib/tensors/augment';
import { makeBatch } from '../../lib/tensors/windows';
import { Random } from '../../lib/util/random';
import { toyData } from '../helpers/toy';

const T = 20, F = 3;
const x = Float32Array.from({ length: T * F }, (_, i) => Math.sin(i / 3) + (i % F));
const o = (extra: Partial<AugmentOptions> = {}) => AugmentOptions.parse(extra);

describe('augmentation methods', () => {
  it('are the identity at zero strength (σ = 0, slice ratio 1)', () => {
    const zero = o({ jitterSigma: 0, scalingSigma: 0, warpSigma: 0, sliceRatio: 1 });
    for (const m of ['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice'] as const) {
      const y = augmentWindow(x, T, F, m, zero, new Random(1));
      y.forEach((v, i) => expect(v).toBeCloseTo(x[i], 5));
    }
  });

  it('jitter adds noise of the configured size; scaling multiplies each feature by one factor', () => {
    const y = augmentWindow(x, T, F, 'jitter', o({ jitterSigma: 0.5 }), new Random(2));
    const d = Array.from(y, (v, i) => v - x[i]);
    const sd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(sd).toBeGreaterThan(0.3);
    expect(sd).toBeLessThan(0.7);
    const s = augmentWindow(x, T, F, 'scaling', o({ scalingSigma: 0.3 }), new Random(3));
    for (let c = 0; c < F; c++) {
      const ratios = Array.from({ length: T }, (_, t) => s[t * F + c] / x[t * F + c]).filter((r) => Number.isFinite(r));
      ratios.forEach((r) => expect(r).toBeCloseTo(ratios[0], 4));
    }
  });

  it('time warp and window slicing keep the endpoints ordered and values within the window\'s range', () => {
    const ramp = Float32Array.from({ length: T * F }, (_, i) => Math.floor(i / F)); // every feature = its step
    for (const m of ['time_warp', 'window_slice'] as const) {
      const y = augmentWindow(ramp, T, F, m, o({ warpSigma: 0.5, sliceRatio: 0.7 }), new Random(4));
      for (let t = 1; t < T; t++) expect(y[t * F]).toBeGreaterThanOrEqual(y[(t - 1) * F] - 1e-6); // a clock never runs backwards
      expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...y)).toBeLessThanOrEqual(T - 1);
    }
    const sliced = augmentWindow(ramp, T, F, 'window_slice', o({ sliceRatio: 0.5 }), new Random(5));
    expect(sliced[(T - 1) * F] - sliced[0]).toBeCloseTo((T - 1) * 0.5, 4);
  });

  it('leave discrete features (flags, sessions) as they are', () => {
    const flags = Float32Array.from({ length: T * F }, (_, i) => (i % F === 1 ? (Math.floor(i / F) % 7 < 5 ? 0 : 1) : Math.sin(i)));
    const discrete = [false, true, false];
    for (const m of ['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice'] as const) {
      const y = augmentWindow(flags, T, F, m, o({ jitterSigma: 0.5, scalingSigma: 0.5, warpSigma: 0.5, sliceRatio: 0.6 }), new Random(6), discrete);
      for (let t = 0; t < T; t++) expect([0, 1], m).toContain(y[t * F + 1]);
    }
  });
});

describe('augmented training set', () => {
  it('appends the kept windows with their source labels and leaves validation alone', () => {
    const data = toyData(600, 3, 9);
    const { data: out, report } = augmentTrainingSet(data, { share: 0.5 }, 7);
    const kept = report.reduce((s, r) => s + r.kept, 0);
    expect(report.map((r) => r.method)).toEqual(['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice']);
    expect(out.train.length).toBe(data.train.length + kept);
    expect(Array.from(out.val)).toEqual(Array.from(data.val));
    expect(out.source.rows).toBe(data.source.rows + kept * 9);
    const labels = Array.from(out.train.subarray(data.train.length), (e) => out.source.labels[e]);
    expect(labels.every((l) => l === 0 || l === 1)).toBe(true);
    // a jittered window stays close to a real training window: its own source
    const first = makeBatch(out.source, [out.train[data.train.length]], 9).x;
    expect(first.every(Number.isFinite)).toBe(true);
  });

  it('drops a method whose windows do not match the real distributions, and says which feature', () => {
    const data = toyData(600, 3, 9);
    const { report } = augmentTrainingSet(data, { methods: ['jitter', 'scaling'], jitterSigma: 0.01, scalingSigma: 3, share: 0.5 }, 7);
    const jitter = report.find((r) => r.method === 'jitter')!;
    const scaling = report.find((r) => r.method === 'scaling')!;
    expect(jitter.kept).toBe(jitter.generated);
    expect(jitter.maxKs).toBeLessThan(0.1);
    expect(scaling.kept).toBe(0);
    expect(scaling.maxKs).toBeGreaterThan(0.1);
    expect(scaling.feature).toMatch(/^f\d$/);
  });
});
