import { tf } from '../backend/tf';
import { columnSums, dense3d } from './dense';
import { fusedOp } from './fusedOp';
import { flatProgram, runProgram } from './webgpuProgram';
import { view } from './webgpuInPlace';

/**
 * A transformer's input: x [b, t, f] · w [f, d] + bias [d] + positions [t, d] (a learned
 * vector for each step of the window) → [b, t, d].
 */
function reference(x: tf.Tensor3D, w: tf.Tensor2D, bias: tf.Tensor1D, positions: tf.Tensor2D): tf.Tensor3D {
  const [b, t, f] = x.shape;
  return tf.matMul(x.reshape([b * t, f]) as tf.Tensor2D, w).add(bias).reshape([b, t, w.shape[1]]).add(positions) as tf.Tensor3D;
}

/** The dense op (its kernel for the backend) and the positions' add (cpu, wasm). */
function composed(x: tf.Tensor3D, w: tf.Tensor2D, bias: tf.Tensor1D, positions: tf.Tensor2D): tf.Tensor3D {
  return dense3d(x, w, bias).add(positions) as tf.Tensor3D;
}

/**
 * webgpu: the dense op (one dispatch forward; back, the weights' and the bias's gradients in
 * one, and none for x, the model's input) and the positions' add, its gradient dy's column
 * sums over the b windows (dy as [b, t·d]) in one dispatch — tfjs's is a transpose and a
 * reduction.
 */
function webgpu(x: tf.Tensor3D, w: tf.Tensor2D, bias: tf.Tensor1D, positions: tf.Tensor2D): tf.Tensor3D {
  const [b, t] = x.shape;
  const d = w.shape[1];
  const body = (y: tf.Tensor3D, p: tf.Tensor2D) => ({
    value: runProgram(flatProgram(`gatebook_add_positions_${t}_${d}`, [b, t, d], b * t * d, ['Y', 'P'], () => `
      fn main(index : i32) {
        if (index < uniforms.size) { result[index] = Y[index] + P[index % ${t * d}]; }
      }`, { size: true }), [y, p]),
    gradFunc: (dy: tf.Tensor) => [dy, view(columnSums(view(dy, [b, t * d]) as tf.Tensor2D), [t, d])], // views: a gradient function is not taped
  });
  const add = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor3D, p: tf.Tensor2D) => tf.Tensor3D;
  return add(dense3d(x, w, bias), positions);
}

export const positionalInput = fusedOp<[tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D], tf.Tensor3D>({
  name: 'positionalInput', reference, kernels: { '*': composed, webgpu },
});
