import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { watFor, wasmModule, watGet as get } from '../backend/wasmModules';
import { wasmKernelContext } from './wasmBackend';
import { flatProgram, runProgram, type WebGpuProgram } from './webgpuProgram';

/**
 * A causal convolution's input, unfolded: x [b, t, c] → [b, steps, k·c]. Output row i stands
 * for input step rᵢ = t − 1 − (steps − 1 − i)·stride (the last row for the last step, then every
 * stride-th step back); its j-th block of c columns is x at step rᵢ − j·dilation, zeros before
 * the first step. Times one kernel matrix [k·c, out] it is the dilated causal convolution at
 * those steps (`models/tcn.ts`); stride 1 and steps t (the defaults) give it at every step, and
 * k = 1 picks rows. The gradient sums each output block back onto the step it was read from.
 */
function reference(x: tf.Tensor3D, k: number, dilation: number, stride = 1, steps = x.shape[1]): tf.Tensor3D {
  const [batch, inSteps, channels] = x.shape;
  checkGrid(inSteps, k, dilation, stride, steps);
  const first = inSteps - 1 - (steps - 1) * stride; // the step output row 0 reads in block 0
  const pad = Math.max(0, (k - 1) * dilation - first);
  const padded = pad > 0 ? x.pad([[0, 0], [pad, 0], [0, 0]]) : x;
  // rows first + pad − j·dilation, then every stride-th: a slice, and (stride > 1) a reshape keeping one row in each stride
  const block = (j: number): tf.Tensor3D => {
    const rows = padded.slice([0, first + pad - j * dilation, 0], [batch, (steps - 1) * stride + 1, channels]);
    if (stride === 1) return rows as tf.Tensor3D;
    return rows.pad([[0, 0], [0, stride - 1], [0, 0]]).reshape([batch, steps, stride, channels]).slice([0, 0, 0, 0], [batch, steps, 1, channels]).reshape([batch, steps, channels]);
  };
  const blocks = Array.from({ length: k }, (_, j) => block(j));
  return (k === 1 ? blocks[0] : tf.concat(blocks, 2)) as tf.Tensor3D;
}

function checkGrid(inSteps: number, k: number, dilation: number, stride: number, steps: number): void {
  for (const [name, v] of [['k', k], ['dilation', dilation], ['stride', stride], ['steps', steps]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`causalShifts: ${name} must be a positive integer, got ${v}`);
  }
  if ((steps - 1) * stride > inSteps - 1) throw new Error(`causalShifts: ${steps} rows every ${stride} steps reach before the first of ${inSteps} steps`);
}

/** webgpu: the unfolding in one dispatch (a thread per output element), its gradient — each input element's reads summed — in one. */
function program(kind: 'forward' | 'backward', outputShape: number[], grid: string, code: () => string): WebGpuProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return flatProgram(`gatebook_causal_shifts_${kind}_${grid}`, outputShape, size, ['X'], code, { size: true });
}

function webgpu(x: tf.Tensor3D, k: number, dilation: number, stride = 1, steps = x.shape[1]): tf.Tensor3D {
  const [batch, inSteps, channels] = x.shape;
  checkGrid(inSteps, k, dilation, stride, steps);
  const wide = k * channels;
  const grid = `${k}_${dilation}_${stride}_${inSteps}_${steps}_${channels}`;
  const body = (xx: tf.Tensor3D) => ({
    value: runProgram(program('forward', [batch, steps, wide], grid, () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let col = index % ${wide};
          let i = (index / ${wide}) % ${steps};
          let b = index / (${wide} * ${steps});
          let j = col / ${channels};
          let src = ${inSteps - 1} - (${steps - 1} - i) * ${stride} - j * ${dilation};
          var v = 0.0;
          if (src >= 0) { v = X[(b * ${inSteps} + src) * ${channels} + col % ${channels}]; }
          result[index] = v;
        }
      }`), [xx]) as tf.Tensor3D,
    gradFunc: (dy: tf.Tensor) => runProgram(program('backward', [batch, inSteps, channels], grid, () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % ${channels};
          let s = (index / ${channels}) % ${inSteps};
          let b = index / (${channels} * ${inSteps});
          var acc = 0.0;
          for (var j = 0; j < ${k}; j++) {
            let back = ${inSteps - 1} - (s + j * ${dilation});
            if (back >= 0 && back % ${stride} == 0 && back / ${stride} < ${steps}) {
              let i = ${steps - 1} - back / ${stride};
              acc = acc + X[(b * ${steps} + i) * ${wide} + j * ${channels} + c];
            }
          }
          result[index] = acc;
        }
      }`), [dy]),
  });
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor3D;
}

/** The shape of one unfolding in wasm memory: rows of `channels` floats, k blocks an output row. */
interface Grid { batch: number; inSteps: number; steps: number; channels: number; k: number; dilation: number; stride: number }

/** x [B, T, C] → [B, steps, k·C]: each output row's k blocks copied in one pass over wasm memory. */
function unfold(X: Float32Array, Y: Float32Array, g: Grid): void {
  const { batch, inSteps, steps, channels, k, dilation, stride } = g;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < steps; i++) {
      const r = inSteps - 1 - (steps - 1 - i) * stride;
      for (let j = 0, at = (b * steps + i) * k * channels; j < k; j++, at += channels) {
        const src = r - j * dilation;
        if (src < 0) Y.fill(0, at, at + channels);
        else Y.set(X.subarray((b * inSteps + src) * channels, (b * inSteps + src + 1) * channels), at);
      }
    }
  }
}

/** The gradient: dx zeroed, then each output block of dy added onto the step it was read from, in one pass. */
function fold(DY: Float32Array, DX: Float32Array, g: Grid): void {
  const { batch, inSteps, steps, channels, k, dilation, stride } = g;
  DX.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < steps; i++) {
      const r = inSteps - 1 - (steps - 1 - i) * stride;
      for (let j = 0, from = (b * steps + i) * k * channels; j < k && r - j * dilation >= 0; j++, from += channels) {
        const to = (b * inSteps + r - j * dilation) * channels;
        for (let c = 0; c < channels; c++) DX[to + c] += DY[from + c];
      }
    }
  }
}

/**
 * The same two passes in WebAssembly SIMD (channels a multiple of 4: every layer after a
 * TCN's first), 16 bytes a load and store. Pointers are byte offsets in the wasm memory.
 */
interface ShiftLoops {
  unfold(x: number, y: number, batch: number, inSteps: number, steps: number, channels: number, k: number, dilation: number, stride: number): void;
  fold(dy: number, dx: number, batch: number, inSteps: number, steps: number, channels: number, k: number, dilation: number, stride: number): void;
}

function shiftLoopsText(): string {
  const params = '(param $batch i32) (param $inSteps i32) (param $steps i32) (param $channels i32) (param $k i32) (param $dilation i32) (param $stride i32)';
  const locals = '(local $b i32) (local $i i32) (local $j i32) (local $c i32) (local $r i32) (local $to i32) (local $from i32) (local $valid i32) (local $cb i32) (local $end i32)';
  // the input step output row i reads from (its block 0), and how many of its k blocks lie at or after the first step
  const rowAndValid = `
      (local.set $r (i32.sub (i32.sub ${get('$inSteps')} (i32.const 1)) (i32.mul (i32.sub (i32.sub ${get('$steps')} (i32.const 1)) ${get('$i')}) ${get('$stride')})))
      (local.set $valid (i32.add (i32.div_u ${get('$r')} ${get('$dilation')}) (i32.const 1)))
      (local.set $valid (select ${get('$k')} ${get('$valid')} (i32.lt_u ${get('$k')} ${get('$valid')})))`;
  // the byte address of step (r − j·dilation) of row b in x / dx
  const inputRow = (base: string) => `(i32.add ${get(base)} (i32.mul (i32.sub (i32.add (i32.mul ${get('$b')} ${get('$inSteps')}) ${get('$r')}) (i32.mul ${get('$j')} ${get('$dilation')})) ${get('$cb')}))`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "unfold") (param $x i32) (param $y i32) ${params}
    ${locals}
    (local.set $cb (i32.shl ${get('$channels')} (i32.const 2)))
    (local.set $to ${get('$y')})
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, watFor('$i', '(i32.const 0)', get('$steps'), 1, `${rowAndValid}
      ${watFor('$j', '(i32.const 0)', get('$valid'), 1, `
        (local.set $from ${inputRow('$x')})
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (v128.load (i32.add ${get('$from')} ${get('$c')})))`)}
        (local.set $to (i32.add ${get('$to')} ${get('$cb')}))`)}
      ${watFor('$j', get('$valid'), get('$k'), 1, `
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (v128.const i32x4 0 0 0 0))`)}
        (local.set $to (i32.add ${get('$to')} ${get('$cb')}))`)}`))})
  (func (export "fold") (param $dy i32) (param $dx i32) ${params}
    ${locals}
    (local.set $cb (i32.shl ${get('$channels')} (i32.const 2)))
    (local.set $end (i32.add ${get('$dx')} (i32.mul (i32.mul ${get('$batch')} ${get('$inSteps')}) ${get('$cb')})))
    ${watFor('$to', get('$dx'), get('$end'), 16, `(v128.store ${get('$to')} (v128.const i32x4 0 0 0 0))`)}
    (local.set $from ${get('$dy')})
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, watFor('$i', '(i32.const 0)', get('$steps'), 1, `${rowAndValid}
      ${watFor('$j', '(i32.const 0)', get('$valid'), 1, `
        (local.set $to ${inputRow('$dx')})
        ${watFor('$c', '(i32.const 0)', get('$cb'), 16, `(v128.store (i32.add ${get('$to')} ${get('$c')}) (f32x4.add (v128.load (i32.add ${get('$to')} ${get('$c')})) (v128.load (i32.add ${get('$from')} ${get('$c')}))))`)}
        (local.set $from (i32.add ${get('$from')} ${get('$cb')}))`)}
      ;; the blocks before the first step were zeros: nothing to add back
      (local.set $from (i32.add ${get('$from')} (i32.mul (i32.sub ${get('$k')} ${get('$valid')}) ${get('$cb')})))`))})
)`;
}

/** The SIMD loops when channels is a multiple of 4, else null (the JavaScript passes above). */
function shiftLoops(channels: number): ShiftLoops | null {
  if (channels % 4 !== 0) return null;
  return wasmModule<ShiftLoops>('gatebook_causal_shifts', shiftLoopsText);
}

/** wasm: the unfolding and its gradient each one pass over the backend's memory (instead of a gather and its scatter). */
function wasm(x: tf.Tensor3D, k: number, dilation: number, stride = 1, steps = x.shape[1]): tf.Tensor3D {
  const [batch, inSteps, channels] = x.shape;
  checkGrid(inSteps, k, dilation, stride, steps);
  const g: Grid = { batch, inSteps, steps, channels, k, dilation, stride };
  const args = [batch, inSteps, steps, channels, k, dilation, stride] as const;
  const loops = shiftLoops(channels);
  const body = (xx: tf.Tensor3D) => {
    const { output, heap, address, tensor } = wasmKernelContext();
    const y = output([batch, steps, k * channels]);
    if (loops) loops.unfold(address(xx), address(y), ...args);
    else unfold(heap(xx), heap(y), g);
    return {
      value: tensor<tf.Tensor3D>(y),
      gradFunc: (dy: tf.Tensor) => {
        const dx = output([batch, inSteps, channels]);
        if (loops) loops.fold(address(dy), address(dx), ...args);
        else fold(heap(dy), heap(dx), g);
        return tensor(dx);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor3D;
}

export const causalShifts = fusedOp<[x: tf.Tensor3D, k: number, dilation: number, stride?: number, steps?: number], tf.Tensor3D>({ name: 'causalShifts', reference, kernels: { webgpu, wasm } });
