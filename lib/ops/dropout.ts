import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { f32, flatProgram, runProgram } from './webgpuProgram';
import { uniformDraws } from '../util/random';
import { wasmKernelContext } from './wasmBackend';

/**
 * The uniform draws [from, from + size) of a seed's stream as a tensor of `shape`: on wasm
 * drawn straight into the tensor's memory (no JavaScript array to fill and copy in; a fresh
 * one is page-faulted in each time, ~10 ns a value on a VM, more than the draws cost).
 */
export function uniformTensor(seed: number, from: number, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== 'wasm') return tf.tensor(uniformDraws(seed, from, size), shape, 'float32');
  const c = wasmKernelContext();
  const out = c.output(shape);
  uniformDraws(seed, from, size, c.heap(out));
  return c.tensor(out);
}

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
