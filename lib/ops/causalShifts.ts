import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { wasmKernelContext } from './wasmBackend';
import { flatProgram, runProgram, type WebGpuProgram } from './webgpuProgram';

/**
 * A causal convolution's input, unfolded: x [b, t, c] → [b, t, k·c] whose j-th block of c
 * columns at step s is x at step s − j·dilation (zeros before the first step). Times one
 * kernel matrix [k·c, out] it is the dilated causal convolution (`models/tcn.ts`).
 */
function reference(x: tf.Tensor3D, k: number, dilation: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  const shifted = Array.from({ length: k }, (_, j) => {
    const shift = j * dilation;
    if (shift === 0) return x;
    if (shift >= steps) return tf.zeros([batch, steps, channels]) as tf.Tensor3D;
    return x.slice([0, 0, 0], [batch, steps - shift, channels]).pad([[0, 0], [shift, 0], [0, 0]]) as tf.Tensor3D;
  });
  return tf.concat(shifted, 2) as tf.Tensor3D;
}

/** webgpu: the unfolding in one dispatch (a thread per output element), its gradient — each input element's k shifted copies summed — in one. */
function program(kind: 'forward' | 'backward', outputShape: number[], k: number, dilation: number, channels: number, code: string): WebGpuProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return flatProgram(`gatebook_causal_shifts_${kind}_${k}_${dilation}_${channels}`, outputShape, size, ['X'], code, { size: true });
}

function webgpu(x: tf.Tensor3D, k: number, dilation: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  const wide = k * channels;
  const body = (xx: tf.Tensor3D) => ({
    value: runProgram(program('forward', [batch, steps, wide], k, dilation, channels, `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let steps = uniforms.outShape.y;
          let col = index % ${wide};
          let s = (index / ${wide}) % steps;
          let b = index / (${wide} * steps);
          let j = col / ${channels};
          let src = s - j * ${dilation};
          var v = 0.0;
          if (src >= 0) { v = X[(b * steps + src) * ${channels} + col % ${channels}]; }
          result[index] = v;
        }
      }`), [xx]) as tf.Tensor3D,
    gradFunc: (dy: tf.Tensor) => runProgram(program('backward', [batch, steps, channels], k, dilation, channels, `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let steps = uniforms.outShape.y;
          let c = index % ${channels};
          let s = (index / ${channels}) % steps;
          let b = index / (${channels} * steps);
          var acc = 0.0;
          for (var j = 0; j < ${k}; j++) {
            let to = s + j * ${dilation};
            if (to < steps) { acc = acc + X[(b * steps + to) * ${wide} + j * ${channels} + c]; }
          }
          result[index] = acc;
        }
      }`), [dy]),
  });
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor3D;
}

/** x [B, T, C] → [B, T, k·C]: each row's k shifted copies written in one pass over wasm memory. */
function unfold(X: Float32Array, Y: Float32Array, batch: number, steps: number, channels: number, k: number, dilation: number): void {
  const wide = k * channels;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < steps; s++) {
      const to = (b * steps + s) * wide;
      for (let j = 0; j < k; j++) {
        const src = s - j * dilation;
        const at = to + j * channels;
        if (src < 0) for (let c = 0; c < channels; c++) Y[at + c] = 0;
        else for (let c = 0, from = (b * steps + src) * channels; c < channels; c++) Y[at + c] = X[from + c];
      }
    }
  }
}

/** The gradient: dx[b, s] = Σ_j dy[b, s + j·dilation, block j], in one pass. */
function fold(DY: Float32Array, DX: Float32Array, batch: number, steps: number, channels: number, k: number, dilation: number): void {
  const wide = k * channels;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < steps; s++) {
      const at = (b * steps + s) * channels;
      for (let c = 0; c < channels; c++) DX[at + c] = DY[(b * steps + s) * wide + c];
      for (let j = 1; j < k; j++) {
        const from = s + j * dilation;
        if (from >= steps) break;
        const src = (b * steps + from) * wide + j * channels;
        for (let c = 0; c < channels; c++) DX[at + c] += DY[src + c];
      }
    }
  }
}

/** wasm: the unfolding and its gradient each one JavaScript pass over the backend's memory (instead of k slices, pads and a concat, and their gradients). */
function wasm(x: tf.Tensor3D, k: number, dilation: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  const body = (xx: tf.Tensor3D) => {
    const { output, heap, tensor } = wasmKernelContext();
    const y = output([batch, steps, k * channels]);
    unfold(heap(xx), heap(y), batch, steps, channels, k, dilation);
    return {
      value: tensor<tf.Tensor3D>(y),
      gradFunc: (dy: tf.Tensor) => {
        const dx = output([batch, steps, channels]);
        fold(heap(dy), heap(dx), batch, steps, channels, k, dilation);
        return tensor(dx);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor3D;
}

export const causalShifts = fusedOp<[tf.Tensor3D, number, number], tf.Tensor3D>({ name: 'causalShifts', reference, kernels: { webgpu, wasm } });
