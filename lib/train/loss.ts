import { tf } from '../backend/tf';

/**
 * Binary cross-entropy on logits, numerically stable:
 * max(z, 0) − z·y + log(1 + exp(−|z|)), averaged with per-sample weights.
 */
export function weightedBce(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const perSample = logits.relu().sub(logits.mul(labels)).add(logits.abs().neg().exp().log1p());
  if (!weights) return perSample.mean() as tf.Scalar;
  return perSample.mul(weights).sum().div(weights.sum()) as tf.Scalar;
}

/**
 * The squared global norm of the gradients, as a tensor (no readback). Summed in groups of
 * six: one addN over many tensors needs a storage buffer each, past WebGPU's default limit of 8
 * per shader stage (Dawn then drops the dispatch and training goes on with wrong values).
 */
export function globalNormSquared(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    let parts: tf.Tensor[] = Object.values(grads).map((g) => g.square().sum());
    while (parts.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < parts.length; i += 6) next.push(parts.length - i === 1 ? parts[i] : tf.addN(parts.slice(i, i + 6)));
      parts = next;
    }
    return (parts[0] ?? tf.scalar(0)) as tf.Scalar;
  });
}

/** Gradients scaled so their global norm (`norm`, read already) is at most `maxNorm`; the inputs are freed when scaled. */
export function clipToNorm(grads: tf.NamedTensorMap, maxNorm: number, norm: number): tf.NamedTensorMap {
  if (maxNorm <= 0 || !(norm > maxNorm)) return grads;
  const scale = maxNorm / norm;
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) {
    clipped[name] = g.mul(scale);
    g.dispose();
  }
  return clipped;
}

/** Scale gradients so their global norm is at most `maxNorm`; returns the norm before clipping (read asynchronously: GPU tensors cannot be read synchronously in Node). */
export async function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): Promise<{ grads: tf.NamedTensorMap; norm: number }> {
  const squared = globalNormSquared(grads);
  const norm = Math.sqrt((await squared.data())[0]);
  squared.dispose();
  return { grads: clipToNorm(grads, maxNorm, norm), norm };
}
