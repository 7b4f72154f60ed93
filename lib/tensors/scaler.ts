import { z } from 'zod';
import { quantileSorted } from '../util/quantile';

/** A fitted scaler, as saved with a model: per-feature center and scale. */
export const ScalerState = z.object({
  kind: z.enum(['standard', 'robust']),
  center: z.array(z.number()),
  scale: z.array(z.number()),
});
export type ScalerState = z.infer<typeof ScalerState>;

/**
 * Fit on the training rows only: standard (mean, std) or robust (median, interquartile
 * range). `matrix` is rows × features, row-major; `rows`: the range(s) of rows to fit on.
 * A constant feature gets scale 1 (it becomes 0, not NaN).
 */
export function fitScaler(matrix: Float32Array, features: number, rows: { start: number; end: number } | ReadonlyArray<{ start: number; end: number }>, kind: ScalerState['kind'] = 'standard'): ScalerState {
  const ranges = 'start' in rows ? [rows] : rows;
  const n = ranges.reduce((sum, r) => sum + Math.max(0, r.end - r.start), 0);
  if (n < 2) throw new Error(`scaler: need at least 2 training rows, got ${n}`);
  const center: number[] = [];
  const scale: number[] = [];
  const column = new Float64Array(n);
  for (let f = 0; f < features; f++) {
    let k = 0;
    for (const r of ranges) for (let row = r.start; row < r.end; row++) column[k++] = matrix[row * features + f];
    const [c, s] = kind === 'standard' ? meanStd(column) : medianIqr(column);
    center.push(c);
    scale.push(s > 1e-12 ? s : 1);
  }
  return { kind, center, scale };
}

/** Scale the matrix in place: (x − center) / scale per feature. */
export function applyScaler(state: ScalerState, matrix: Float32Array): Float32Array {
  const features = state.center.length;
  for (let i = 0; i < matrix.length; i++) {
    const f = i % features;
    matrix[i] = (matrix[i] - state.center[f]) / state.scale[f];
  }
  return matrix;
}

function meanStd(xs: Float64Array): [number, number] {
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return [mean, Math.sqrt(ss / xs.length)];
}

function medianIqr(xs: Float64Array): [number, number] {
  const sorted = Float64Array.from(xs).sort();
  const q = (p: number) => quantileSorted(sorted, p);
  return [q(0.5), q(0.75) - q(0.25)];
}
