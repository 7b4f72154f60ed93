import { z } from 'zod';
import { ksStatistic } from '../util/ks';
import { Random } from '../util/random';
import type { PreparedData } from './prepare';
import { makeBatch } from './windows';

export const AUGMENT_METHODS = ['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice'] as const;
export type AugmentMethod = (typeof AUGMENT_METHODS)[number];

/** How the augment gate makes windows (`workflow.augment` in a config). */
export const AugmentOptions = z.object({
  methods: z.array(z.enum(AUGMENT_METHODS)).min(1).default([...AUGMENT_METHODS]),
  /** augmented windows per method, as a share of the training windows */
  share: z.number().gt(0).max(5).default(0.2),
  jitterSigma: z.number().nonnegative().default(0.03),
  scalingSigma: z.number().nonnegative().default(0.1),
  warpSigma: z.number().nonnegative().default(0.2),
  warpKnots: z.number().int().min(1).max(20).default(4),
  /** window slicing keeps this share of the steps and stretches it back to the full window */
  sliceRatio: z.number().gt(0).max(1).default(0.9),
  /** a method's windows are dropped when any feature's two-sample KS statistic against the real training values exceeds this */
  maxKs: z.number().gt(0).max(1).default(0.1),
}).strict();
export type AugmentOptions = z.infer<typeof AugmentOptions>;


/** A smooth random curve over `steps` points through `knots` + 2 values ~ N(1, σ), linearly interpolated. */
function smoothCurve(steps: number, knots: number, sigma: number, rng: Random): Float64Array {
  const values = Array.from({ length: knots + 2 }, () => 1 + sigma * rng.normal());
  return Float64Array.from({ length: steps }, (_, t) => {
    const at = (t / Math.max(1, steps - 1)) * (knots + 1);
    const i = Math.min(knots, Math.floor(at));
    return values[i] + (values[i + 1] - values[i]) * (at - i);
  });
}

/** Read a window [steps × features] at fractional time positions: linear interpolation, nearest step for discrete features. */
function resample(x: Float32Array, steps: number, features: number, positions: Float64Array, discrete: boolean[]): Float32Array {
  const out = new Float32Array(steps * features);
  positions.forEach((pos, t) => {
    const p = Math.min(steps - 1, Math.max(0, pos));
    const i = Math.min(steps - 2, Math.floor(p));
    const frac = p - i;
    for (let c = 0; c < features; c++) {
      out[t * features + c] = discrete[c] ? x[(frac < 0.5 ? i : i + 1) * features + c] : x[i * features + c] * (1 - frac) + x[(i + 1) * features + c] * frac;
    }
  });
  return out;
}

/**
 * One augmented copy of a window (Um et al. 2017; Le Guennec et al. 2016): jitter adds
 * N(0, σ) noise; scaling multiplies each feature by one N(1, σ) factor; magnitude warp
 * multiplies by a smooth curve per feature; time warp reads the window along a smoothly
 * distorted clock; window slicing stretches a random `sliceRatio` crop back to full length.
 */
export function augmentWindow(
  x: Float32Array, steps: number, features: number, method: AugmentMethod, o: AugmentOptions, rng: Random,
  discrete: boolean[] = new Array(features).fill(false),
): Float32Array {
  const out = new Float32Array(x.length);
  // discrete features (flags, sessions, regimes) keep their values: 1.07 is not a weekday
  switch (method) {
    case 'jitter':
      x.forEach((v, i) => (out[i] = discrete[i % features] ? v : v + o.jitterSigma * rng.normal()));
      return out;
    case 'scaling': {
      const factors = Array.from({ length: features }, (_, c) => (discrete[c] ? 1 : 1 + o.scalingSigma * rng.normal()));
      x.forEach((v, i) => (out[i] = v * factors[i % features]));
      return out;
    }
    case 'magnitude_warp': {
      const curves = Array.from({ length: features }, () => smoothCurve(steps, o.warpKnots, o.warpSigma, rng));
      x.forEach((v, i) => (out[i] = discrete[i % features] ? v : v * curves[i % features][Math.floor(i / features)]));
      return out;
    }
    case 'time_warp': {
      // cumulative sum of a positive speed curve, rescaled to end at the last step
      const speed = smoothCurve(steps, o.warpKnots, o.warpSigma, rng).map((s) => Math.max(0.1, s));
      const clock = new Float64Array(steps);
      for (let t = 1; t < steps; t++) clock[t] = clock[t - 1] + speed[t];
      const end = clock[steps - 1] || 1;
      return resample(x, steps, features, clock.map((c) => (c / end) * (steps - 1)), discrete);
    }
    case 'window_slice': {
      const length = (steps - 1) * o.sliceRatio;
      const start = rng.uniform() * (steps - 1 - length);
      return resample(x, steps, features, Float64Array.from({ length: steps }, (_, t) => start + (t / Math.max(1, steps - 1)) * length), discrete);
    }
  }
}

const MAX_DISCRETE = 12;

export interface AugmentReport {
  method: AugmentMethod;
  generated: number;
  kept: number;
  /** the largest per-feature KS statistic against the real training values, and its feature */
  maxKs: number;
  feature: string;
}

/**
 * Augmented training windows with a quality check: each method's windows are compared
 * feature by feature with the real training values (two-sample KS); a method whose worst
 * feature is further than `maxKs` is dropped whole. Returns the data with the kept windows
 * appended after the real rows (each augmented window is its own block of rows, its label
 * on its last row) and their ends added to `train`; validation is untouched.
 */
export function augmentTrainingSet(data: PreparedData, input: Partial<AugmentOptions> = {}, seed = 42): { data: PreparedData; report: AugmentReport[] } {
  const o = AugmentOptions.parse(input);
  const rng = new Random(seed);
  const { window } = data;
  const f = data.source.features;
  const realSample = sampleValues(data, rng);
  // a feature with at most MAX_DISCRETE distinct values in the training sample is discrete
  const discrete = realSample.map((values) => new Set(values).size <= MAX_DISCRETE);
  const kept: Array<{ x: Float32Array; label: number }> = [];
  const report: AugmentReport[] = [];
  for (const method of o.methods) {
    const count = Math.max(1, Math.round(o.share * data.train.length));
    const made = Array.from({ length: count }, () => {
      const end = data.train[rng.int(data.train.length)];
      return { x: augmentWindow(makeBatch(data.source, [end], window).x, window, f, method, o, rng, discrete), label: data.source.labels[end] };
    });
    let worst = { ks: 0, feature: 0 };
    for (let c = 0; c < f; c++) {
      const values: number[] = [];
      for (let k = 0; k < made.length && values.length < 5000; k++) values.push(made[k].x[rng.int(window) * f + c]);
      const ks = ksStatistic(realSample[c], values);
      if (ks > worst.ks) worst = { ks, feature: c };
    }
    const ok = worst.ks <= o.maxKs;
    if (ok) kept.push(...made);
    report.push({ method, generated: made.length, kept: ok ? made.length : 0, maxKs: worst.ks, feature: data.featureNames[worst.feature] });
  }
  const rows = data.source.rows + kept.length * window;
  const matrix = new Float32Array(rows * f);
  matrix.set(data.source.matrix);
  const labels = new Float32Array(rows).fill(NaN);
  labels.set(data.source.labels);
  const ends = new Int32Array(kept.length);
  kept.forEach((k, i) => {
    const start = data.source.rows + i * window;
    matrix.set(k.x, start * f);
    ends[i] = start + window - 1;
    labels[ends[i]] = k.label;
  });
  const train = new Int32Array(data.train.length + ends.length);
  train.set(data.train);
  train.set(ends, data.train.length);
  const lastMove = new Float32Array(rows);
  lastMove.set(data.lastMove);
  return { data: { ...data, source: { matrix, features: f, labels, rows }, train, lastMove }, report };
}

/** Up to 5000 values per feature from random steps of random training windows. */
function sampleValues(data: PreparedData, rng: Random): number[][] {
  const f = data.source.features;
  return Array.from({ length: f }, (_, c) => Array.from({ length: 5000 }, () => {
    const end = data.train[rng.int(data.train.length)];
    const row = end - rng.int(data.window);
    return data.source.matrix[row * f + c];
  }));
}
