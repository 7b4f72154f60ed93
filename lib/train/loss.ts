import { tf } from '../backend/tf';
import { weightedBceOp } from '../ops/bce';
import { clipFactor } from '../ops/clipFactor';

export { clipFactor };
import { sumOfSquares } from '../ops/sumOfSquares';

/**
 * Binary cross-entropy on logits, numerically stable: max(z, 0) − z·y + log(1 + exp(−|z|)),
 * averaged with per-sample weights (`ops/bce.ts`: only the logits are differentiated).
 */
export function weightedBce(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  return weightedBceOp(logits, labels, weights);
}

/** The squared global norm of the gradients, as a tensor (no readback; one dispatch per twelve gradients on webgpu). */
export function globalNormSquared(grads: tf.NamedTensorMap): tf.Scalar {
  return sumOfSquares(Object.values(grads));
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
