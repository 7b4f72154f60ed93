import { tf } from '../backend/tf';
import { fusedEnabled, fusedOp } from './fusedOp';
import { denseWebgpu, denseWebgpuAvailable, denseWebgpuKeepingInput, type Activation } from './denseWebgpu';
import { runProgram, workgroupSum } from './webgpuProgram';

export type { Activation };

function activate(y: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  return activation === 'relu' ? y.relu() : y;
}

/** x [n, in] · w [in, out] (+ bias [out]) (then relu) → [n, out]. */
function reference(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor1D, activation: Activation = 'linear'): tf.Tensor2D {
  const y = tf.matMul(x, w) as tf.Tensor2D;
  return activate(bias ? (y.add(bias) as tf.Tensor2D) : y, activation);
}

/**
 * y + bias [out] with its own gradient: dy passes through, and the bias's gradient is onesᵀ·dy
 * (a column of ones, transposed), since a sum over axis 0 (what autograd emits for the
 * broadcast add) is slow on wasm. Written as a weight gradient aᵀ·b, it runs on wasm as one
 * streaming SIMD pass over dy (`backend/wasmMatMul.ts`); as ones[1, n]·dy XNNPACK
 * packed all of dy first: 11.6 ms of an LSTM layer's 128-row step for [7680, 256].
 */
export const addBias = tf.customGrad(((y: tf.Tensor2D, bias: tf.Tensor1D) => ({
  value: y.add(bias),
  gradFunc: (dy: tf.Tensor2D) => [dy, tf.matMul(tf.ones([dy.shape[0], 1]), dy, true, false).reshape([dy.shape[1]])],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * The fused kernel: the same forward, the matMul left to autograd — which differentiates x
 * only where something below needs it (not a model's input data: the first layer's x·Wᵀ
 * product was a fifth of an LSTM layer's backward matMuls) — and the bias added by `addBias`.
 */
function fused(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor1D, activation: Activation = 'linear'): tf.Tensor2D {
  const y = tf.matMul(x, w) as tf.Tensor2D;
  return activate(bias ? addBias(y, bias) : y, activation);
}

const SUM_THREADS = 64;

/**
 * webgpu: the bias's gradient Σ_rows dy in one dispatch — a workgroup a column, its threads
 * summing strided rows, then a tree in workgroup memory — where onesᵀ·dy is one too, but its
 * ones are made on the CPU and uploaded every step (n floats a dense layer).
 */
export function columnSums(dy: tf.Tensor2D): tf.Tensor1D {
  const columns = dy.shape[1];
  return runProgram({
    outputShape: [columns], shaderKey: 'gatebook_column_sums', dispatchLayout: { x: [0] }, dispatch: [columns, 1, 1],
    variableNames: ['X'], workgroupSize: [SUM_THREADS, 1, 1],
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${SUM_THREADS}>;
      fn main(index : i32) {
        let rows = uniforms.xShape.x;
        let columns = uniforms.xShape.y;
        let column = i32(workgroupId.x);
        let j = i32(localId.x);
        var sum = 0.0;
        for (var r = j; r < rows; r = r + ${SUM_THREADS}) { sum = sum + X[r * columns + column]; }
        partial[j] = sum;${workgroupSum(['partial'], SUM_THREADS)}
        if (j == 0) { result[column] = partial[0]; }
      }`,
  }, [dy]) as tf.Tensor1D; // already [columns]
}

const addBiasWebgpu = tf.customGrad(((y: tf.Tensor2D, bias: tf.Tensor1D) => ({
  value: y.add(bias),
  gradFunc: (dy: tf.Tensor2D) => [dy, columnSums(dy)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * webgpu: `denseWebgpu` (one dispatch forward; back, the weights' and the bias's gradients in
 * one) where several outputs a dispatch are available; else tfjs's matMul and the bias's add
 * with its column sum.
 */
function webgpu(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor1D, activation: Activation = 'linear'): tf.Tensor2D {
  if (denseWebgpuAvailable()) return denseWebgpu(x, w, bias, activation);
  const y = tf.matMul(x, w) as tf.Tensor2D;
  return activate(bias ? addBiasWebgpu(y, bias) : y, activation);
}

export const dense = fusedOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D?, Activation?], tf.Tensor2D>({ name: 'dense', reference, kernels: { '*': fused, webgpu } });

/** x [b, t, f] · w [f, o] (+ bias) (then relu) → [b, t, o]: every step through the same dense layer. */
export function dense3d(x: tf.Tensor3D, w: tf.Tensor2D, bias?: tf.Tensor1D, activation: Activation = 'linear'): tf.Tensor3D {
  if (fusedEnabled() && denseWebgpuAvailable()) return denseWebgpu(x, w, bias, activation); // the kernel takes x as rows itself: no reshape op
  const [b, t, f] = x.shape;
  return dense(x.reshape([b * t, f]) as tf.Tensor2D, w, bias, activation).reshape([b, t, w.shape[1]]);
}

/**
 * `dense3d`, and x again — for a residual that adds x back (a transformer's layer norm of x +
 * its feed-forward branch): on webgpu as the dense op's second output, so x has one consumer
 * and its two gradients are summed in dy·wᵀ's dispatch (`denseWebgpuKeepingInput`); elsewhere
 * x itself (the same computation).
 */
export function dense3dKeepingInput(x: tf.Tensor3D, w: tf.Tensor2D, bias?: tf.Tensor1D, activation: Activation = 'linear'): { y: tf.Tensor3D; x: tf.Tensor3D } {
  if (!fusedEnabled() || !denseWebgpuAvailable()) return { y: dense3d(x, w, bias, activation), x };
  const [y, kept] = denseWebgpuKeepingInput(x, w, bias, activation);
  return { y, x: kept };
}
