import { describe, expect, it } from 'vitest';
import { Random } from '../../lib/util/random';
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
});
