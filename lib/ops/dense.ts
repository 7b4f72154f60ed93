import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';

/** x [n, in] · w [in, out] + bias [out] → [n, out]. */
function reference(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.matMul(x, w).add(bias) as tf.Tensor2D;
}

/**
 * The fused kernel: the same forward as one matMul with a bias, and a backward of three
 * matMuls — the bias gradient as a row of ones times dy, since a sum over axis 0 (what
 * autograd emits for the broadcast add) is slow on wasm.
 */
function fused(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const body = (xx: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return {
      value: tf.matMul(xx, ww).add(bb),
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [
        tf.matMul(dy, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy),
        tf.matMul(tf.ones([1, dy.shape[0]]), dy).reshape([dy.shape[1]]),
      ],
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x, w, bias) as tf.Tensor2D;
}

export const dense = fusedOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D], tf.Tensor2D>({ name: 'dense', reference, kernels: { '*': fused } });
