import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { headWeightGradients, logitHead } from './logitHead';
import { meanOverSteps } from './meanOverSteps';
import { inPlaceAvailable, newOutputs, runInPlace } from './webgpuInPlace';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';

/** A classifier's head over the mean of h's steps: mean_t(h) [b, t, d] · w [d, 1] + b [1] → the logits [b] (a transformer's mean pooling and head). */
function reference(h: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  return logitHead.op.reference(meanOverSteps.op.reference(h), w, b);
}

/** The two fused ops in turn (cpu, wasm; webgpu without several outputs a dispatch). */
function composed(h: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  return logitHead(meanOverSteps(h), w, b);
}

const THREADS = 64;

/**
 * webgpu: one dispatch forward — a workgroup a window, its threads each averaging features
 * over the steps (the pooled row kept for the backward pass) and a tree summing pooled·w —
 * and two back: h's gradient dy·w/t at every step in one, w's and b's in one
 * (`headWeightGradients`), where the mean and the head take two forward and three back.
 */
function webgpu(h: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  if (!inPlaceAvailable()) return composed(h, w, b);
  const [n, t, d] = h.shape;
  const body = (hh: tf.Tensor3D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [logits, pooled] = newOutputs([[n], [n, d]]);
    runInPlace({
      key: `gatebook_mean_pooled_head_${t}_${d}`, written: ['L', 'P'], read: ['H', 'W', 'B'], uniforms: ['rows : i32'], workgroupSize: THREADS,
      main: () => `
      var<workgroup> partial : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let row = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
        let j = i32(localId.x);
        var acc = 0.0;
        if (row < uniforms.rows) {
          for (var k = j; k < ${d}; k = k + ${THREADS}) {
            var sum = 0.0;
            for (var s = 0; s < ${t}; s++) { sum = sum + H[(row * ${t} + s) * ${d} + k]; }
            let mean = sum / ${t}.0;
            P[row * ${d} + k] = mean;
            acc = acc + mean * W[k];
          }
        }
        partial[j] = acc;${workgroupSum(['partial'], THREADS)}
        if (j == 0 && row < uniforms.rows) { L[row] = partial[0] + B[0]; }
      }`,
    }, [logits, pooled], [hh, ww, bb], [{ type: 'i32', value: n }], n * THREADS);
    save([pooled, ww]);
    return {
      value: logits as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, [pooledSaved, wSaved]: tf.Tensor[]) => {
        const dh = runProgram(flatProgram(`gatebook_mean_pooled_head_dh_${t}_${d}`, [n, t, d], n * t * d, ['DY', 'W'], () => `
          fn main(index : i32) {
            if (index < uniforms.size) { result[index] = DY[index / ${t * d}] * W[index % ${d}] / ${t}.0; }
          }`, { size: true }), [dy, wSaved]);
        return [dh, ...headWeightGradients(dy, pooledSaved as tf.Tensor2D)];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(h, w, b) as tf.Tensor1D;
}

export const meanPooledHead = fusedOp<[tf.Tensor3D, tf.Tensor2D, tf.Tensor1D], tf.Tensor1D>({ name: 'meanPooledHead', reference, kernels: { '*': composed, webgpu } });
