import { describe, expect, it } from 'vitest';
import { Random, uniformDraws } from '../../lib/util/random';
import { kurtosis, mean, variance } from '../helpers/stats';

describe('Random', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new Random(7), b = new Random(7), c = new Random(8);
    const xs = Array.from({ length: 100 }, () => a.uint32());
    expect(Array.from({ length: 100 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.uint32())).not.toEqual(xs);
  });

  it('draws uniforms in (0, 1) with mean 1/2 and variance 1/12', () => {
    const r = new Random(1);
    const xs = Float64Array.from({ length: 200_000 }, () => r.uniform());
    expect(xs.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(0);
    expect(xs.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    expect(variance(xs)).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals and unit-variance fat-tailed Student-t', () => {
    const r = new Random(2);
    const z = Float64Array.from({ length: 200_000 }, () => r.normal());
    expect(mean(z)).toBeCloseTo(0, 2);
    expect(variance(z)).toBeCloseTo(1, 1);
    expect(kurtosis(z)).toBeCloseTo(3, 0);
    const t = Float64Array.from({ length: 200_000 }, () => r.studentT(5));
    expect(variance(t)).toBeGreaterThan(0.85);
    expect(variance(t)).toBeLessThan(1.15);
    expect(kurtosis(t)).toBeGreaterThan(4.5); // t(5) has excess kurtosis 6
  });

  it('shuffles to a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Random(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });

  it('draws uniforms by position (dropout masks): MurmurHash3 of the counter, any stretch equal to the whole, seeds independent', () => {
    // MurmurHash3_x86_32 of the 4-byte keys 0 and 1 under seed 0: 0x2362f9de and 0xfbf1402a (published test values)
    expect(Array.from(uniformDraws(0, 0, 2))).toEqual([0x2362f9de >>> 8, 0xfbf1402a >>> 8].map((h) => h / 16777216));
    const whole = uniformDraws(42, 0, 100_000);
    expect(Array.from(uniformDraws(42, 31_337, 500))).toEqual(Array.from(whole.subarray(31_337, 31_837)));
    expect(whole.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(0);
    expect(whole.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);
    expect(mean(whole)).toBeCloseTo(0.5, 2);
    expect(variance(whole)).toBeCloseTo(1 / 12, 3);
    // consecutive seeds (dropout's are): uncorrelated streams, neither a shift of the other
    const next = uniformDraws(43, 0, 100_000);
    let cov = 0;
    for (let i = 0; i < whole.length; i++) cov += (whole[i] - 0.5) * (next[i] - 0.5);
    expect(Math.abs(cov / whole.length / (1 / 12))).toBeLessThan(0.02);
    const firstRun = Array.from(next.subarray(0, 8)).join();
    for (let at = 0; at + 8 <= whole.length; at++) if (whole[at] === next[0]) expect(Array.from(whole.subarray(at, at + 8)).join()).not.toBe(firstRun);
  });
});
