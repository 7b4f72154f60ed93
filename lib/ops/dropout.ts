import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { f32, flatProgram, runProgram } from './webgpuProgram';

/**
 * Dropout given its uniform draws `u` (same shape as x): x · ⌊u + keep⌋ / keep, tf.dropout's
 * formula. Only x gets a gradient, dy · mask: autograd would also differentiate the mask's
 * add, floor and div (~8 kernels back where one is needed).
 */
function reference(x: tf.Tensor, u: tf.Tensor, keep: number): tf.Tensor {
  return x.mul(u.add(keep).floor().div(keep));
}

function fused(x: tf.Tensor, u: tf.Tensor, keep: number): tf.Tensor {
  const body = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const mask = u.add(keep).floor().div(keep);
    save([mask]);
    return { value: xx.mul(mask), gradFunc: (dy: tf.Tensor, [m]: tf.Tensor[]) => dy.mul(m) };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

/** One dispatch: out = a · ⌊u + keep⌋ / keep (x forward, dy back). */
function masked(a: tf.Tensor, u: tf.Tensor, keep: number): tf.Tensor {
  return runProgram(flatProgram(`gatebook_dropout_${Math.fround(keep)}`, a.shape, a.size, ['A', 'U'], `
    fn main(index : i32) {
      if (index < uniforms.size) { result[index] = A[index] * (floor(U[index] + ${f32(keep)}) / ${f32(keep)}); }
    }`, { size: true }), [a, u]);
}

function webgpu(x: tf.Tensor, u: tf.Tensor, keep: number): tf.Tensor {
  const body = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([u]);
    return { value: masked(xx, u, keep), gradFunc: (dy: tf.Tensor, [uu]: tf.Tensor[]) => masked(dy, uu, keep) };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

export const dropoutWith = fusedOp<[tf.Tensor, tf.Tensor, number], tf.Tensor>({ name: 'dropout', reference, kernels: { '*': fused, webgpu } });
