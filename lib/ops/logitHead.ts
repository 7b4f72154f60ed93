import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { inPlaceAvailable, newOutputs, runInPlace } from './webgpuInPlace';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';

/** A classifier's head: h [n, k] · w [k, 1] + b [1] → the logits [n]. */
function reference(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  return tf.matMul(h, w).add(b).reshape([-1]) as tf.Tensor1D;
}

const THREADS = 64;

/**
 * webgpu: the logits in one dispatch (a thread a row: its dot product and b); back, dh = dy·wᵀ
 * in one, and w's and b's gradients in one writing both (a workgroup per column of h summing
 * dy·h over the rows, one more summing dy) — where tfjs's matMul, add and their gradients take
 * two dispatches forward and four back (a reduction for b, a product each for h and w, a
 * transpose). Without several outputs a dispatch: w's gradient one dispatch, b's a sum.
 */
function webgpu(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  const [n, k] = h.shape;
  const body = (hh: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([hh, ww]);
    const logits = runProgram(flatProgram(`gatebook_logit_head_${k}`, [n], n, ['H', 'W', 'B'], `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var acc = B[0];
          for (var j = 0; j < ${k}; j++) { acc = acc + H[index * ${k} + j] * W[j]; }
          result[index] = acc;
        }
      }`, { size: true }), [hh, ww, bb]);
    return {
      value: logits as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, [hSaved, wSaved]: tf.Tensor[]) => {
        const dh = runProgram(flatProgram(`gatebook_logit_head_dh_${k}`, [n, k], n * k, ['DY', 'W'], `
          fn main(index : i32) {
            if (index < uniforms.size) { result[index] = DY[index / ${k}] * W[index % ${k}]; }
          }`, { size: true }), [dy, wSaved]);
        // workgroup j < k: Σ_rows dy·h[:, j] (w's gradient); workgroup k: Σ_rows dy (b's); G is dy
        const sums = (rows: string, store: string) => `
          var<workgroup> partial : array<f32, ${THREADS}>;
          fn main(index : i32) {
            let column = i32(workgroupId.x);
            let j = i32(localId.x);
            var acc = 0.0;
            for (var r = j; r < ${rows}; r = r + ${THREADS}) {
              if (column == ${k}) { acc = acc + G[r]; } else { acc = acc + G[r] * H[r * ${k} + column]; }
            }
            partial[j] = acc;${workgroupSum(['partial'], THREADS)}
            if (j == 0) { ${store} }
          }`;
        if (inPlaceAvailable()) {
          const [dw, db] = newOutputs([[k, 1], [1]]);
          runInPlace({
            key: `gatebook_logit_head_dw_db_${k}`, written: ['DW', 'DB'], read: ['G', 'H'], uniforms: ['rows : i32'], workgroupSize: THREADS,
            main: sums('uniforms.rows', `if (column == ${k}) { DB[0] = partial[0]; } else { DW[column] = partial[0]; }`),
          }, [dw, db], [dy, hSaved], [{ type: 'i32', value: n }], (k + 1) * THREADS);
          return [dh, dw, db];
        }
        const dw = runProgram({
          outputShape: [k, 1], shaderKey: `gatebook_logit_head_dw_${k}`, dispatchLayout: { x: [0] }, dispatch: [k, 1, 1],
          variableNames: ['G', 'H'], workgroupSize: [THREADS, 1, 1], getUserCode: () => sums('uniforms.gShape', 'result[column] = partial[0];'),
        }, [dy, hSaved]);
        return [dh, dw, dy.sum().reshape([1])];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(h, w, b) as tf.Tensor1D;
}

export const logitHead = fusedOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D], tf.Tensor1D>({ name: 'logitHead', reference, kernels: { webgpu } });
