/**
 * Feature rows for windowing: a rows × features float32 matrix (row-major) and the label
 * of each row. A window of T bars ending at row e covers rows e−T+1 … e and carries the
 * label of row e. Windows are copied batch by batch, never all at once
 * (1M rows × 60 × 31 floats would be 7 GB).
 */
export interface WindowSource {
  matrix: Float32Array;
  features: number;
  labels: Float32Array;
  rows: number;
}

export interface Batch {
  /** size × window × features, row-major */
  x: Float32Array;
  y: Float32Array;
  size: number;
  /** the window-end row of each sample */
  ends: Int32Array;
}

/** Window-end rows of a part [start, end): every window lies inside it. */
export function windowEnds(part: { start: number; end: number }, window: number, stride = 1): Int32Array {
  const first = part.start + window - 1;
  const count = first < part.end ? Math.floor((part.end - 1 - first) / stride) + 1 : 0;
  return Int32Array.from({ length: count }, (_, i) => first + i * stride);
}

/** The labels of the windows ending at `ends`. */
export function labelsAt(source: WindowSource, ends: ArrayLike<number>): Float32Array {
  return Float32Array.from(ends, (e) => source.labels[e]);
}

/** Copy the windows ending at `ends` into one batch. */
export function makeBatch(source: WindowSource, ends: ArrayLike<number>, window: number): Batch {
  const f = source.features;
  const size = ends.length;
  const x = new Float32Array(size * window * f);
  for (let b = 0; b < size; b++) {
    const start = (ends[b] - window + 1) * f;
    x.set(source.matrix.subarray(start, start + window * f), b * window * f);
  }
  return { x, y: labelsAt(source, ends), size, ends: Int32Array.from(ends) };
}

/** Batches over `ends` in the given order (shuffle them first for training). */
export function* batches(source: WindowSource, ends: Int32Array, window: number, batchSize: number): Generator<Batch> {
  for (let i = 0; i < ends.length; i += batchSize) yield makeBatch(source, ends.subarray(i, i + batchSize), window);
}
