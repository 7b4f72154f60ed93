import { describe, expect, it } from 'vitest';
import { convolve, fitDilations, fitMiniRocket, KERNELS, quantiles, transformMiniRocket } from '../../lib/models/minirocket';
import { Random } from '../../lib/util/random';

const L = 60, C = 5;
const r = new Random(9);
const examples = Array.from({ length: 20 }, () => Float32Array.from({ length: L * C }, () => r.normal()));

describe('MiniRocket', () => {
  it('has 84 kernels of length 9 whose weights (−1, and 2 at three places) sum to zero', () => {
    expect(KERNELS).toHaveLength(84);
    for (const k of KERNELS) {
      const weights = Array.from({ length: 9 }, (_, j) => (k.includes(j) ? 2 : -1));
      expect(weights.reduce((a, b) => a + b, 0)).toBe(0);
      expect(new Set(k).size).toBe(3);
    }
  });

  it('makes ~10k features: 84 × the features per kernel, dilations up to (L − 1) / 8', () => {
    const { dilations, counts } = fitDilations(L, 10_000);
    expect(84 * counts.reduce((a, b) => a + b, 0)).toBe(9996);
    expect(Math.max(...dilations)).toBeLessThanOrEqual((L - 1) / 8);
    expect(dilations[0]).toBe(1);
    const state = fitMiniRocket(examples, L, C, { seed: 1 });
    const f = transformMiniRocket(state, examples[0]);
    expect(f.length).toBe(9996);
    expect(f.every((v) => v >= 0 && v <= 1)).toBe(true); // PPV is a proportion
    expect(new Set(Array.from(f)).size).toBeGreaterThan(50); // informative, not constant
  });

  it('is deterministic by seed', () => {
    const a = fitMiniRocket(examples, L, C, { seed: 3, numFeatures: 840 });
    const b = fitMiniRocket(examples, L, C, { seed: 3, numFeatures: 840 });
    const c = fitMiniRocket(examples, L, C, { seed: 4, numFeatures: 840 });
    expect(b).toEqual(a);
    expect(c.biases).not.toEqual(a.biases);
    expect(Array.from(transformMiniRocket(a, examples[5]))).toEqual(Array.from(transformMiniRocket(b, examples[5])));
  });

  it('is invariant to adding a constant to the input where the kernel fits (zero-sum weights)', () => {
    const shifted = examples.map((x) => x.map((v) => v + 7.5));
    const state = fitMiniRocket(examples, L, C, { seed: 2, numFeatures: 840, padding: false });
    const stateShifted = fitMiniRocket(shifted, L, C, { seed: 2, numFeatures: 840, padding: false });
    stateShifted.biases.forEach((b, i) => expect(b).toBeCloseTo(state.biases[i], 3));
    const f = transformMiniRocket(state, examples[1]);
    const g = transformMiniRocket(state, shifted[1]);
    expect(Array.from(g)).toEqual(Array.from(f));
    // with zero padding the edges see the constant: padded pairs may change, valid ones never
    const conv = convolve(examples[1], L, C, KERNELS[0], 2, [0, 1], true);
    const convShifted = convolve(shifted[1], L, C, KERNELS[0], 2, [0, 1], true);
    for (let t = 8; t < L - 8; t++) expect(convShifted[t]).toBeCloseTo(conv[t], 3);
  });

  it('PPV is the share of convolution outputs above each bias (checked by brute force)', () => {
    const state = fitMiniRocket(examples, L, C, { seed: 5, numFeatures: 840 });
    const f = transformMiniRocket(state, examples[2]);
    // the first pair: dilation 0, kernel 0, padded (pairs alternate, starting padded)
    const conv = convolve(examples[2], L, C, KERNELS[0], state.dilations[0], state.channelSets[0], true);
    for (let i = 0; i < state.featuresPerDilation[0]; i++) {
      const above = Array.from(conv).filter((v) => v > state.biases[i]).length;
      expect(f[i]).toBeCloseTo(above / conv.length, 6);
    }
    // a channel-by-channel convolution from the definition equals the summed-channel one
    const byDefinition = Array.from({ length: L }, (_, t) => {
      let s = 0;
      for (let j = 0; j < 9; j++) {
        const at = t + (j - 4) * 2;
        if (at < 0 || at >= L) continue;
        for (const c of [1, 3]) s += (KERNELS[7].includes(j) ? 2 : -1) * examples[0][at * C + c];
      }
      return s;
    });
    Array.from(convolve(examples[0], L, C, KERNELS[7], 2, [1, 3], true)).forEach((v, t) => expect(v).toBeCloseTo(byDefinition[t], 4));
  });

  it('quantiles are the golden-ratio low-discrepancy sequence', () => {
    const q = quantiles(3);
    expect(q[0]).toBeCloseTo(0.6180339887, 9);
    expect(q[1]).toBeCloseTo(0.2360679775, 9);
    expect(q[2]).toBeCloseTo(0.8541019662, 9);
  });
});
