import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
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

export const causalShifts = fusedOp<[tf.Tensor3D, number, number], tf.Tensor3D>({ name: 'causalShifts', reference, kernels: { webgpu } });
