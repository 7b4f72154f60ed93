import { Random } from '../util/random';
import { quantileSorted } from '../util/quantile';

/**
 * MiniRocket (Dempster, Schmidt & Webb 2021), multivariate, on typed arrays: 84 fixed
 * kernels of length 9 (weights −1, with 2 at three of the nine positions), dilations on a
 * log scale up to (L − 1) / 8, each kernel–dilation pair applied to a random subset of
 * channels, biases from quantiles of the convolution output of random training examples,
 * and PPV (the proportion of positive values) pooling — about 10k features.
 *
 * Inputs are windows as gatebook stores them: [time × channels] row-major per example.
 */
export interface MiniRocketState {
  length: number;
  channels: number;
  dilations: number[];
  featuresPerDilation: number[];
  /** channel subsets, one per (dilation, kernel) in order */
  channelSets: number[][];
  /** biases, one per feature, in feature order */
  biases: number[];
  padding: boolean;
}

export const KERNELS: ReadonlyArray<readonly [number, number, number]> = (() => {
  const out: Array<[number, number, number]> = [];
  for (let a = 0; a < 9; a++) for (let b = a + 1; b < 9; b++) for (let c = b + 1; c < 9; c++) out.push([a, b, c]);
  return out;
})();

/** Low-discrepancy quantiles: frac(i · φ) for i = 1 … n. */
export function quantiles(n: number): number[] {
  const phi = (Math.sqrt(5) + 1) / 2;
  return Array.from({ length: n }, (_, i) => ((i + 1) * phi) % 1);
}

/** Dilations and features per dilation (the reference implementation's `_fit_dilations`). */
export function fitDilations(length: number, numFeatures: number, maxDilationsPerKernel = 32): { dilations: number[]; counts: number[] } {
  const perKernel = Math.floor(numFeatures / KERNELS.length);
  const trueMax = Math.min(perKernel, maxDilationsPerKernel);
  const multiplier = perKernel / trueMax;
  const maxExponent = Math.log2((length - 1) / 8);
  const raw = Array.from({ length: trueMax }, (_, i) => Math.floor(2 ** ((maxExponent * i) / Math.max(1, trueMax - 1))));
  const dilations = [...new Set(raw)].sort((a, b) => a - b);
  const counts = dilations.map((d) => Math.floor(raw.filter((r) => r === d).length * multiplier));
  let remainder = perKernel - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; remainder > 0; i = (i + 1) % counts.length, remainder--) counts[i]++;
  return { dilations, counts };
}

/**
 * Convolution output of one kernel at one dilation over chosen channels of one example:
 * C[t] = Σ_ch Σ_j w_j · x[t + (j − 4)·d], zero outside the series (`padded`), or only the
 * positions where the kernel fits (`valid`).
 */
export function convolve(x: Float32Array, length: number, channels: number, kernel: readonly number[], dilation: number, chans: number[], padded: boolean): Float64Array {
  // sum the chosen channels first: the kernel is linear, so Σ_ch (w ⋆ x_ch) = w ⋆ Σ_ch x_ch
  const series = new Float64Array(length);
  for (let t = 0; t < length; t++) {
    let s = 0;
    for (const c of chans) s += x[t * channels + c];
    series[t] = s;
  }
  const weights = Array.from({ length: 9 }, (_, j) => (kernel.includes(j) ? 2 : -1));
  const pad = 4 * dilation;
  const from = padded ? 0 : pad;
  const to = padded ? length : length - pad;
  const out = new Float64Array(Math.max(0, to - from));
  for (let t = from; t < to; t++) {
    let sum = 0;
    for (let j = 0; j < 9; j++) {
      const at = t + (j - 4) * dilation;
      if (at >= 0 && at < length) sum += weights[j] * series[at];
    }
    out[t - from] = sum;
  }
  return out;
}

/** Fit biases and channel subsets on training examples (seeded). */
export function fitMiniRocket(examples: Float32Array[], length: number, channels: number, o: { numFeatures?: number; seed?: number; padding?: boolean } = {}): MiniRocketState {
  if (length < 9) throw new Error(`MiniRocket needs series of at least 9 steps, got ${length}`);
  const rng = new Random(o.seed ?? 0);
  const { dilations, counts } = fitDilations(length, o.numFeatures ?? 10_000);
  const qs = quantiles(KERNELS.length * counts.reduce((a, b) => a + b, 0));
  const channelSets: number[][] = [];
  const biases: number[] = [];
  let q = 0;
  dilations.forEach((d, di) => {
    KERNELS.forEach((kernel, ki) => {
      const howMany = Math.floor(2 ** (rng.uniform() * Math.log2(Math.min(channels, 9) + 1)));
      const chans = rng.shuffle(Array.from({ length: channels }, (_, c) => c)).slice(0, Math.max(1, howMany)).sort((a, b) => a - b);
      channelSets.push(chans);
      const example = examples[rng.int(examples.length)];
      const conv = Float64Array.from(convolve(example, length, channels, kernel, d, chans, padded(o.padding, di, ki))).sort();
      for (let f = 0; f < counts[di]; f++) biases.push(quantileSorted(conv, qs[q++]));
    });
  });
  return { length, channels, dilations, featuresPerDilation: counts, channelSets, biases, padding: o.padding ?? true };
}

/** PPV features of one example: for each bias, the share of convolution outputs above it. */
export function transformMiniRocket(state: MiniRocketState, x: Float32Array): Float32Array {
  const out = new Float32Array(state.biases.length);
  let feature = 0;
  let set = 0;
  state.dilations.forEach((d, di) => {
    KERNELS.forEach((kernel, ki) => {
      const conv = convolve(x, state.length, state.channels, kernel, d, state.channelSets[set++], padded(state.padding, di, ki)).sort();
      for (let f = 0; f < state.featuresPerDilation[di]; f++) {
        const bias = state.biases[feature];
        out[feature++] = (conv.length - countAtMost(conv, bias)) / Math.max(1, conv.length); // PPV: share above the bias
      }
    });
  });
  return out;
}

/** Half of the kernel–dilation pairs use padding, alternating, as the paper does. */
function padded(padding: boolean | undefined, di: number, ki: number): boolean {
  return (padding ?? true) && (di + ki) % 2 === 0;
}

/** How many sorted values are ≤ v (binary search). */
function countAtMost(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
