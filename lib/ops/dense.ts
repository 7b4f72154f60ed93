import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { runProgram, workgroupSum } from './webgpuProgram';

/** x [n, in] · w [in, out] + bias [out] → [n, out]. */
function reference(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.matMul(x, w).add(bias) as tf.Tensor2D;
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
function fused(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return addBias(tf.matMul(x, w), bias);
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
  }, [dy]).reshape([columns]) as tf.Tensor1D;
}

const addBiasWebgpu = tf.customGrad(((y: tf.Tensor2D, bias: tf.Tensor1D) => ({
  value: y.add(bias),
  gradFunc: (dy: tf.Tensor2D) => [dy, columnSums(dy)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

export const dense = fusedOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D], tf.Tensor2D>({
  name: 'dense', reference,
  kernels: { '*': fused, webgpu: (x, w, bias) => addBiasWebgpu(tf.matMul(x, w), bias) },
});

/** x [b, t, f] · w [f, o] + bias → [b, t, o]: every step through the same dense layer (without a bias: tfjs's matMul alone). */
export function dense3d(x: tf.Tensor3D, w: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor3D {
  const [b, t, f] = x.shape;
  const flat = x.reshape([b * t, f]) as tf.Tensor2D;
  return (bias ? dense(flat, w, bias) : tf.matMul(flat, w)).reshape([b, t, w.shape[1]]);
}
