import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { DRAW, DRAW_FIELDS, DRAW_UNIFORMS, drawUniforms, dropoutWith, maskAt, type BranchDropout } from './dropout';
import { inPlaceAvailable, newOutputs, runInPlace } from './webgpuInPlace';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';

/**
 * A classifier's head: dropout(h) [n, k] · w [k, 1] + b [1] → the logits [n]; `dropout` null:
 * h as it is (the LSTM drops out its last step before the head; the TCN and the transformer do not).
 */
function reference(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, dropout: BranchDropout | null = null): tf.Tensor1D {
  const x = dropout ? (dropoutWith.op.reference(h, dropout.draws, dropout.keep) as tf.Tensor2D) : h;
  return tf.matMul(x, w).add(b).reshape([-1]) as tf.Tensor1D;
}

/** Dropout's kernel for the backend, then the plain head (cpu, wasm). */
function composed(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, dropout: BranchDropout | null = null): tf.Tensor1D {
  return reference(dropout ? (dropoutWith(h, dropout.draws, dropout.keep) as tf.Tensor2D) : h, w, b);
}

const THREADS = 64;

/**
 * webgpu: the logits in one dispatch (a thread a row: its dot product and b); back, dh = dy·wᵀ
 * in one, and w's and b's gradients in one writing both (a workgroup per column of h summing
 * dy·h over the rows, one more summing dy) — where tfjs's matMul, add and their gradients take
 * two dispatches forward and four back (a reduction for b, a product each for h and w, a
 * transpose). Dropout's mask is drawn in each of them (`dropout.ts`: the same draws as
 * dropout's own kernel), where it took a dispatch each way. Without several outputs a
 * dispatch: w's gradient one dispatch, b's a sum.
 */
function webgpu(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, dropout: BranchDropout | null = null): tf.Tensor1D {
  const [n, k] = h.shape;
  const keep = dropout?.keep ?? 1;
  const mask = (at: string) => (dropout ? ` * ${maskAt(at, keep)}` : '');
  const key = `${k}${dropout ? `_dropout_${Math.fround(keep)}` : ''}`;
  const seeds = drawUniforms(dropout?.draws);
  const program = (name: string, shape: number[], inputs: string[], main: string) =>
    flatProgram(`gatebook_logit_head_${name}_${key}`, shape, shape.reduce((a, c) => a * c, 1), inputs, () => `${DRAW}${main}`, { size: true, uniforms: DRAW_UNIFORMS });
  const body = (hh: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([hh, ww]);
    const logits = runProgram(program('forward', [n], ['H', 'W', 'B'], `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var acc = B[0];
          for (var j = 0; j < ${k}; j++) { let at = index * ${k} + j; acc = acc + H[at]${mask('at')} * W[j]; }
          result[index] = acc;
        }
      }`), [hh, ww, bb], seeds);
    return {
      value: logits as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, [hSaved, wSaved]: tf.Tensor[]) => {
        const dh = runProgram(program('dh', [n, k], ['DY', 'W'], `
          fn main(index : i32) {
            if (index < uniforms.size) { result[index] = DY[index / ${k}] * W[index % ${k}]${mask('index')}; }
          }`), [dy, wSaved], seeds);
        if (inPlaceAvailable()) return [dh, ...headWeightGradients(dy, hSaved as tf.Tensor2D, dropout)];
        const dw = runProgram({
          outputShape: [k, 1], shaderKey: `gatebook_logit_head_dw_${key}`, dispatchLayout: { x: [0] }, dispatch: [k, 1, 1], uniforms: DRAW_UNIFORMS,
          variableNames: ['G', 'H'], workgroupSize: [THREADS, 1, 1], getUserCode: () => columnSums(k, keep, dropout !== null, 'uniforms.gShape', 'result[column] = partial[0];'),
        }, [dy, hSaved], seeds);
        return [dh, dw, dy.sum().reshape([1])];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(h, w, b) as tf.Tensor1D;
}

/**
 * WGSL: workgroup j < k sums dy·dropout(h)[:, j] over the rows (w's gradient), workgroup k sums
 * dy (b's), each handing its sum to `store` as partial[0]; G is dy, H is h [rows, k].
 */
function columnSums(k: number, keep: number, dropped: boolean, rows: string, store: string): string {
  const mask = dropped ? ` * ${maskAt('at', keep)}` : '';
  return `${DRAW}
          var<workgroup> partial : array<f32, ${THREADS}>;
          fn main(index : i32) {
            let column = i32(workgroupId.x);
            let j = i32(localId.x);
            var acc = 0.0;
            for (var r = j; r < ${rows}; r = r + ${THREADS}) {
              let at = r * ${k} + column;
              if (column == ${k}) { acc = acc + G[r]; } else { acc = acc + G[r] * H[at]${mask}; }
            }
            partial[j] = acc;${workgroupSum(['partial'], THREADS)}
            if (j == 0) { ${store} }
          }`;
}

/**
 * webgpu, several outputs a dispatch: a head's w and b gradients from dy [n] and its input h
 * [n, k] (dropped out with `dropout`'s draws) in one dispatch (`columnSums`).
 */
export function headWeightGradients(dy: tf.Tensor, h: tf.Tensor2D, dropout: BranchDropout | null = null): [tf.Tensor, tf.Tensor] {
  const [n, k] = h.shape;
  const keep = dropout?.keep ?? 1;
  const [dw, db] = newOutputs([[k, 1], [1]]);
  runInPlace({
    key: `gatebook_logit_head_dw_db_${k}${dropout ? `_dropout_${Math.fround(keep)}` : ''}`, written: ['DW', 'DB'], read: ['G', 'H'], uniforms: ['rows : i32', ...DRAW_FIELDS], workgroupSize: THREADS,
    main: () => columnSums(k, keep, dropout !== null, 'uniforms.rows', `if (column == ${k}) { DB[0] = partial[0]; } else { DW[column] = partial[0]; }`),
  }, [dw, db], [dy, h], [{ type: 'i32', value: n }, ...drawUniforms(dropout?.draws)], (k + 1) * THREADS);
  return [dw, db];
}

export const logitHead = fusedOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, (BranchDropout | null)?], tf.Tensor1D>({
  name: 'logitHead', reference, kernels: { '*': composed, webgpu },
});
