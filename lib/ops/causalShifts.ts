import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { watFor, wasmModule, watGet as get } from '../backend/wasmModules';
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

/**
 * The same two passes in WebAssembly SIMD (channels a multiple of 4: every layer after a
 * TCN's first), 16 bytes a load and store. Pointers are byte offsets in the wasm memory.
 */
interface ShiftLoops {
  unfold(x: number, y: number, batch: number, steps: number, channels: number, k: number, dilation: number): void;
  fold(dy: number, dx: number, batch: number, steps: number, channels: number, k: number, dilation: number): void;
}

function shiftLoopsText(): string {
  const minK = (n: string) => `(select ${get('$k')} ${n} (i32.lt_u ${get('$k')} ${n}))`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "unfold") (param $x i32) (param $y i32) (param $batch i32) (param $steps i32) (param $channels i32) (param $k i32) (param $dilation i32)
    (local $b i32) (local $s i32) (local $j i32) (local $c i32) (local $to i32) (local $from i32) (local $valid i32) (local $cb i32)
    (local.set $cb (i32.shl ${get('$channels')} (i32.const 2)))
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, watFor('$s', '(i32.const 0)', get('$steps'), 1, `
      (local.set $to (i32.add ${get('$y')} (i32.mul (i32.add (i32.mul ${get('$b')} ${get('$steps')}) ${get('$s')}) (i32.mul ${get('$cb')} ${get('$k')}))))
      ;; blocks j ≤ s / dilation read step s − j·dilation; the rest are before the first step: zeros
      (local.set $valid ${minK(`(i32.add (i32.div_u ${get('$s')} ${get('$dilation')}) (i32.const 1))`)})
      ${watFor('$j', '(i32.const 0)', get('$valid'), 1, `
        (local.set $from (i32.add ${get('$x')} (i32.mul (i32.sub (i32.add (i32.mul ${get('$b')} ${get('$steps')}) ${get('$s')}) (i32.mul ${get('$j')} ${get('$dilation')})) ${get('$cb')})))
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (v128.load (i32.add ${get('$from')} ${get('$c')})))`)}
        (local.set $to (i32.add ${get('$to')} ${get('$cb')}))`)}
      ${watFor('$j', get('$valid'), get('$k'), 1, `
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (v128.const i32x4 0 0 0 0))`)}
        (local.set $to (i32.add ${get('$to')} ${get('$cb')}))`)}`))})
  (func (export "fold") (param $dy i32) (param $dx i32) (param $batch i32) (param $steps i32) (param $channels i32) (param $k i32) (param $dilation i32)
    (local $b i32) (local $s i32) (local $j i32) (local $c i32) (local $to i32) (local $from i32) (local $valid i32) (local $cb i32) (local $wide i32)
    (local.set $cb (i32.shl ${get('$channels')} (i32.const 2)))
    (local.set $wide (i32.mul ${get('$cb')} ${get('$k')}))
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, watFor('$s', '(i32.const 0)', get('$steps'), 1, `
      (local.set $to (i32.add ${get('$dx')} (i32.mul (i32.add (i32.mul ${get('$b')} ${get('$steps')}) ${get('$s')}) ${get('$cb')})))
      (local.set $from (i32.add ${get('$dy')} (i32.mul (i32.add (i32.mul ${get('$b')} ${get('$steps')}) ${get('$s')}) ${get('$wide')})))
      ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (v128.load (i32.add ${get('$from')} ${get('$c')})))`)}
      ;; block j of step s + j·dilation, while that step exists
      (local.set $valid ${minK(`(i32.add (i32.div_u (i32.sub (i32.sub ${get('$steps')} (i32.const 1)) ${get('$s')}) ${get('$dilation')}) (i32.const 1))`)})
      ${watFor('$j', '(i32.const 1)', get('$valid'), 1, `
        (local.set $from (i32.add ${get('$dy')} (i32.add (i32.mul (i32.add (i32.add (i32.mul ${get('$b')} ${get('$steps')}) ${get('$s')}) (i32.mul ${get('$j')} ${get('$dilation')})) ${get('$wide')}) (i32.mul ${get('$j')} ${get('$cb')}))))
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (f32x4.add (v128.load (i32.add ${get('$to')} ${get('$c')})) (v128.load (i32.add ${get('$from')} ${get('$c')}))))`)}`)}`))})
)`;
}

/** The SIMD loops when channels is a multiple of 4, else null (the JavaScript passes above). */
function shiftLoops(channels: number): ShiftLoops | null {
  if (channels % 4 !== 0) return null;
  return wasmModule<ShiftLoops>('gatebook_causal_shifts', shiftLoopsText);
}

/** wasm: the unfolding and its gradient each one pass over the backend's memory (instead of k slices, pads and a concat, and their gradients). */
function wasm(x: tf.Tensor3D, k: number, dilation: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  const loops = shiftLoops(channels);
  const body = (xx: tf.Tensor3D) => {
    const { output, heap, address, tensor } = wasmKernelContext();
    const y = output([batch, steps, k * channels]);
    if (loops) loops.unfold(address(xx), address(y), batch, steps, channels, k, dilation);
    else unfold(heap(xx), heap(y), batch, steps, channels, k, dilation);
    return {
      value: tensor<tf.Tensor3D>(y),
      gradFunc: (dy: tf.Tensor) => {
        const dx = output([batch, steps, channels]);
        if (loops) loops.fold(address(dy), address(dx), batch, steps, channels, k, dilation);
        else fold(heap(dy), heap(dx), batch, steps, channels, k, dilation);
        return tensor(dx);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor3D;
}

export const causalShifts = fusedOp<[tf.Tensor3D, number, number], tf.Tensor3D>({ name: 'causalShifts', reference, kernels: { webgpu, wasm } });
