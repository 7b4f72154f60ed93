import { tf } from '../backend/tf';
import { lstmLoopsFor } from './lstmLoopsWasm';
import { lstmWindow } from './lstmWindow';
import { wasmKernelContext, type TensorInfo, type WasmKernelContext } from './wasmBackend';

/**
 * The wasm kernel of `lstmSequence`: each direction's whole window walked in one call on the
 * wasm backend's memory, without a tfjs op per gate. Per step forward: one matMul (h·R: the
 * backend's BatchMatMul kernel as gatebook registers it, called directly), the
 * step's projection added, one vectorized Sigmoid over all four gates (the g-gate doubled,
 * tanh(g) = 2σ(2g) − 1), the cell, one Sigmoid for tanh(c), h (σ(2c) kept for the way back).
 * Back: per step one loop for the pre-activation gradients and one matMul dz·Rᵀ. The loops
 * are WebAssembly SIMD (`lstmLoopsWasm.ts`; JavaScript for a width that is not a multiple
 * of 4). The per-op kernel runs ~20 tfjs ops a step forward and ~30 back, each
 * ~10–50 µs of engine overhead on [batch, units] tensors. The webgpu kernel's layout plus one
 * part (S = per step i, f, g, o, c, h, σ(2c)), so both share `lstmWindow`.
 */
const stepAt = (s: number, steps: number, reverse: boolean) => (reverse ? steps - 1 - s : s);

/** R with its g-gate's columns doubled, [1, U, 4U]: h·R then carries the doubling addProjection applies to P. */
function doubledG(c: WasmKernelContext, r: tf.Tensor2D): TensorInfo {
  const [units, four] = r.shape;
  const out = c.output([1, units, four]);
  const R = c.heap(r), O = c.heap(out);
  for (let row = 0; row < units; row++) {
    for (let j = 0; j < four; j++) O[row * four + j] = j >= 2 * units && j < 3 * units ? 2 * R[row * four + j] : R[row * four + j];
  }
  return out;
}

/** P [B, T, 4U], R [U, 4U] → S [B, T, 7U] (per step i, f, g, o, c, h, and σ(2c) for the backward pass). */
function forward(p: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D {
  const context = wasmKernelContext();
  const { output, heap, address: at, free, matMul, sigmoid, tensor } = context;
  const [batch, steps, four] = p.shape;
  const units = four / 4, seven = 7 * units, ub = 4 * units;
  const loops = lstmLoopsFor(units);
  const out = output([batch, steps, seven]);
  const h = output([1, batch, units]);
  const c2 = output([batch, units]);
  const c = output([batch, units]);
  const r3 = doubledG(context, r);
  heap(c).fill(0);
  try {
    for (let s = 0; s < steps; s++) {
      const t = stepAt(s, steps, reverse);
      let z: TensorInfo;
      if (s === 0) heap((z = output([1, batch, four]))).fill(0); // h is zero before the first step
      else z = matMul(h, r3);
      loops.addProjection(at(z), at(p) + t * four * 4, steps * four * 4, batch, ub);
      const a = sigmoid(z);
      free(z);
      loops.cellStep(at(a), at(out) + t * seven * 4, steps * seven * 4, at(c2), at(c), batch, ub);
      free(a);
      const tc = sigmoid(c2);
      loops.hiddenStep(at(tc), at(out) + t * seven * 4, steps * seven * 4, at(h), batch, ub);
      free(tc);
    }
  } finally {
    free(h, c2, c, r3);
  }
  return tensor<tf.Tensor3D>(out);
}

/** dH [B, T, U], S [B, T, 7U], R [U, 4U] → dZ [B, T, 4U]. */
function backward(dH: tf.Tensor3D, saved: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D {
  const { output, heap, address: at, free, matMul, tensor } = wasmKernelContext();
  const [batch, steps, units] = dH.shape;
  const four = 4 * units, seven = 7 * units, ub = 4 * units;
  const loops = lstmLoopsFor(units);
  const out = output([batch, steps, four]);
  const dz = output([1, batch, four]);
  const rT = { ...(tf.transpose(r) as unknown as TensorInfo), shape: [1, four, units] }; // freed with the backward pass's other tensors
  const zeros = output([batch, units]); // what reaches the last step's h through R, and the c before the first step
  const dc = output([batch, units]);
  heap(zeros).fill(0);
  heap(dc).fill(0);
  let back: TensorInfo | null = null;
  try {
    for (let s = steps - 1; s >= 0; s--) {
      const t = stepAt(s, steps, reverse);
      const tBefore = s > 0 ? stepAt(s - 1, steps, reverse) : -1;
      const [before, beforeStride] = tBefore < 0 ? [at(zeros), 0] : [at(saved) + (tBefore * seven + 4 * units) * 4, steps * seven * 4];
      loops.backwardStep(at(saved) + t * seven * 4, steps * seven * 4, before, beforeStride, at(dH) + t * ub, steps * ub,
        at(out) + t * four * 4, steps * four * 4, at(dz), back ? at(back) : at(zeros), at(dc), batch, ub);
      free(back);
      back = null;
      if (s === 0) break;
      back = matMul(dz, rT); // the gradient reaching the previous step's h through R
    }
  } finally {
    free(dz, back, zeros, dc);
  }
  return tensor<tf.Tensor3D>(out);
}

/** The direction over a whole window on wasm: one call forward, one back, then dR as one matMul. */
export function lstmSequenceWasm(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: { reverse: boolean; sequence: boolean }): tf.Tensor {
  return lstmWindow({ forward, backward }, projected, recurrent, o);
}
