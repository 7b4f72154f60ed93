import { tf } from './tf';

export interface MicroBenchmark {
  /** Time of one tiny op (scalar add), dispatch included, in µs. */
  opOverheadUs: number;
  /** Square matMul throughput at size n, in GFLOP/s. */
  matmulGflops: number;
  matmulSize: number;
}

/**
 * Two figures that bound training speed on the active backend: per-op overhead (RNNs run
 * step by step, so it dominates them) and matMul throughput. Warm-up runs are discarded.
 */
export async function microBenchmark(size = 256, ops = 500): Promise<MicroBenchmark> {
  const a = tf.randomNormal([size, size], 0, 1, 'float32', 1);
  const b = tf.randomNormal([size, size], 0, 1, 'float32', 2);
  const s = tf.scalar(1);
  try {
    for (let i = 0; i < 20; i++) await readOnce(tf.add(s, s));
    let t0 = performance.now();
    for (let i = 0; i < ops; i++) await readOnce(tf.add(s, s));
    const opOverheadUs = ((performance.now() - t0) / ops) * 1000;
    for (let i = 0; i < 3; i++) await readOnce(tf.matMul(a, b));
    const reps = 10;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) await readOnce(tf.matMul(a, b));
    const seconds = (performance.now() - t0) / 1000 / reps;
    return { opOverheadUs, matmulGflops: (2 * size ** 3) / seconds / 1e9, matmulSize: size };
  } finally {
    tf.dispose([a, b, s]);
  }
}

/** Wait for a result by reading it (asynchronously: GPU tensors cannot be read synchronously in Node), then free it. */
async function readOnce(t: tf.Tensor): Promise<void> {
  await t.data();
  t.dispose();
}
