import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { reluGradient } from './reluDropout';
import { flatProgram, runProgram } from './webgpuProgram';

/** relu(a + b) over two tensors of one shape (a TCN block's output: its convolutions' and its residual's sum). */
function reference(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return a.add(b).relu();
}

/**
 * webgpu: one dispatch each way where the add and relu take two forward and relu's gradient
 * two back (a step and a product); a's and b's gradient is the same dy where y > 0.
 */
function webgpu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const body = (aa: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = runProgram(flatProgram('gatebook_add_relu', a.shape, a.size, ['A', 'B'], () => `
      fn main(index : i32) {
        if (index < uniforms.size) { result[index] = max(A[index] + B[index], 0.0); }
      }`, { size: true }), [aa, bb]);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [ySaved]: tf.Tensor[]) => {
        const d = reluGradient(dy, ySaved);
        return [d, d.clone()]; // one buffer, two tensors: autograd disposes each input's gradient on its own
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(a, b);
}

export const addRelu = fusedOp<[tf.Tensor, tf.Tensor], tf.Tensor>({ name: 'addRelu', reference, kernels: { webgpu } });
