import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { flatProgram, runProgram } from './webgpuProgram';

/** The mean over the steps of x [b, t, d] → [b, d] (the transformer's mean pooling). */
function reference(x: tf.Tensor3D): tf.Tensor2D {
  return x.mean(1) as tf.Tensor2D;
}

/**
 * webgpu: one dispatch each way. tfjs's mean is a transpose and a reduction, and its gradient
 * multiplies dy by a tensor of ones of x's shape that tfjs makes on the CPU and uploads: at
 * batch 256 a [256, 60, 64] array (4 MB) every step.
 */
function webgpu(x: tf.Tensor3D): tf.Tensor2D {
  const [b, t, d] = x.shape;
  const body = (xx: tf.Tensor3D) => ({
    value: runProgram(flatProgram(`gatebook_mean_over_steps_${t}_${d}`, [b, d], b * d, ['X'], () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / ${d};
          let k = index % ${d};
          var sum = 0.0;
          for (var s = 0; s < ${t}; s++) { sum = sum + X[(row * ${t} + s) * ${d} + k]; }
          result[index] = sum / ${t}.0;
        }
      }`, { size: true }), [xx]) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D) => runProgram(flatProgram(`gatebook_mean_over_steps_back_${t}_${d}`, [b, t, d], b * t * d, ['DY'], () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = DY[(index / ${t * d}) * ${d} + index % ${d}] / ${t}.0;
        }
      }`, { size: true }), [dy]),
  });
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor2D;
}

export const meanOverSteps = fusedOp<[tf.Tensor3D], tf.Tensor2D>({ name: 'meanOverSteps', reference, kernels: { webgpu } });
