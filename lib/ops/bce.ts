import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';

/**
 * Binary cross-entropy on logits, numerically stable — max(z, 0) − z·y + log(1 + exp(−|z|)) —
 * averaged with per-sample weights (Σ w·ℓ / Σ w; a plain mean without them). Only the logits
 * are differentiated: ∂/∂z = (σ(z) − y) · w / Σ w. Labels and weights are data.
 */
function reference(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const perSample = logits.relu().sub(logits.mul(labels)).add(logits.abs().neg().exp().log1p());
  if (!weights) return perSample.mean() as tf.Scalar;
  return perSample.mul(weights).sum().div(weights.sum()) as tf.Scalar;
}

/** The plain-op forward with the gradient written out (autograd would take ~10 kernels back). */
function fused(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  // what the gradient reads is saved: tensors made in the forward pass are freed before backprop
  const body = (z: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save(weights ? [z, labels, weights] : [z, labels]);
    return {
      value: reference(z, labels, weights),
      gradFunc: (dy: tf.Tensor, [zz, y, w]: tf.Tensor[]) => {
        const diff = tf.sigmoid(zz).sub(y);
        const scaled = w ? diff.mul(w).div(w.sum()) : diff.div(zz.size);
        return scaled.mul(dy);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(logits) as tf.Scalar;
}

const THREADS = 256;

/** webgpu: the loss in one dispatch (one workgroup reduces Σ w·ℓ and Σ w), its gradient in one. */
function webgpu(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const body = (z: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const w = weights ?? tf.onesLike(labels);
    save([z, labels, w]); // what the gradient reads: tensors made in the forward pass are freed before backprop
    const loss = runProgram({
      outputShape: [1], shaderKey: 'gatebook_bce_forward', dispatchLayout: { x: [0] }, dispatch: [1, 1, 1],
      variableNames: ['Z', 'Y', 'W'], workgroupSize: [THREADS, 1, 1],
      getUserCode: () => `
        var<workgroup> lossSum : array<f32, ${THREADS}>;
        var<workgroup> weightSum : array<f32, ${THREADS}>;
        fn main(index : i32) {
          let j = i32(localId.x);
          var l = 0.0;
          var s = 0.0;
          for (var i = j; i < uniforms.zShape; i = i + ${THREADS}) {
            let z = Z[i];
            l = l + (max(z, 0.0) - z * Y[i] + log(1.0 + exp(-abs(z)))) * W[i];
            s = s + W[i];
          }
          lossSum[j] = l;
          weightSum[j] = s;${workgroupSum(['lossSum', 'weightSum'], THREADS)}
          if (j == 0) { result[0] = lossSum[0] / weightSum[0]; }
        }`,
    }, [z, labels, w]);
    return {
      value: loss.reshape([]) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [zz, y, w]: tf.Tensor[]) => {
        const total = w.sum();
        return runProgram(flatProgram('gatebook_bce_backward', zz.shape, zz.size, ['Z', 'Y', 'W', 'T', 'D'], `
          fn main(index : i32) {
            if (index < uniforms.zShape) {
              result[index] = (1.0 / (1.0 + exp(-Z[index])) - Y[index]) * W[index] / T[0] * D[0];
            }
          }`), [zz, y, w, total, dy]);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(logits) as tf.Scalar;
}

export const weightedBceOp = fusedOp<[tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined], tf.Scalar>({ name: 'weightedBce', reference, kernels: { '*': fused, webgpu } });
