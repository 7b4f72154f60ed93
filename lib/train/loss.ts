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

/** Scale gradients so their global norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN(Object.values(grads).map((g) => g.square().sum())).dataSync()[0]));
  if (maxNorm <= 0 || !(norm > maxNorm)) return { grads, norm };
  const scale = maxNorm / norm;
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) {
    clipped[name] = g.mul(scale);
    g.dispose();
  }
  return { grads: clipped, norm };
}
