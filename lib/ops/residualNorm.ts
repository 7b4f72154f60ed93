import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { DRAW, DRAW_FIELDS, drawUniforms, dropoutWith, maskAt, type BranchDropout } from './dropout';
import { backwardInOne, layerNorm, STATS } from './layerNorm';
import { inPlaceAvailable, newOutputs, runInPlace, view } from './webgpuInPlace';

/**
 * A transformer's residual step: layerNorm(h + dropout(x)) over the last axis (`dropout` null:
 * no dropout — not training, or a rate of 0).
 */
function reference(h: tf.Tensor3D, x: tf.Tensor3D, dropout: BranchDropout | null, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  return layerNorm.op.reference(h.add(dropout ? dropoutWith.op.reference(x, dropout.draws, dropout.keep) : x) as tf.Tensor3D, gain, bias);
}

/** The fused ops one after another (cpu, wasm; webgpu without tfjs's internals). */
function composed(h: tf.Tensor3D, x: tf.Tensor3D, dropout: BranchDropout | null, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  return layerNorm(h.add(dropout ? dropoutWith(x, dropout.draws, dropout.keep) : x) as tf.Tensor3D, gain, bias);
}

/**
 * webgpu: one dispatch forward — a thread per row sums h and the dropped-out x (the draws made
 * in the kernel), keeps the sum for the backward pass and normalizes it — and one back (layer
 * norm's, also writing x's gradient, dx times the dropout's factor): two where dropout, the
 * add and layer norm take six.
 */
function webgpu(h: tf.Tensor3D, x: tf.Tensor3D, dropout: BranchDropout | null, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  if (!inPlaceAvailable()) return composed(h, x, dropout, gain, bias);
  const [b, t, d] = h.shape;
  const rows = b * t;
  const body = (hh: tf.Tensor3D, xx: tf.Tensor3D, g: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, sum] = newOutputs([[b, t, d], [rows, d]]);
    runInPlace({
      key: `gatebook_residual_norm_${d}_${dropout ? Math.fround(dropout.keep) : 1}`, written: ['Y', 'X'], read: ['H', 'XB', 'G', 'BETA'],
      uniforms: ['rows : i32', ...DRAW_FIELDS],
      main: () => `${DRAW}${STATS(d)}
      fn main(index : i32) {
        if (index < uniforms.rows) {
          for (var k = 0; k < ${d}; k++) {
            let at = index * ${d} + k;
            X[at] = H[at] + XB[at]${dropout ? ` * ${maskAt('at', dropout.keep)}` : ''};
          }
          let s = rowStats(index);
          for (var k = 0; k < ${d}; k++) {
            let at = index * ${d} + k;
            Y[at] = (X[at] - s.x) * s.y * G[k] + BETA[k];
          }
        }
      }`,
    }, [y, sum], [hh, xx, g, beta], [{ type: 'i32', value: rows }, ...drawUniforms(dropout?.draws)], rows);
    save([sum, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [sumSaved, gSaved]: tf.Tensor[]) => {
        // views, not reshape ops (a gradient function is not taped)
        const [dSum, dGain, dBias, dBranch] = backwardInOne(sumSaved, gSaved, view(dy, [rows, d]), rows, d, dropout);
        return [view(dSum, [b, t, d]), view(dBranch, [b, t, d]), dGain, dBias];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(h, x, gain, bias) as tf.Tensor3D;
}

export const residualNorm = fusedOp<[tf.Tensor3D, tf.Tensor3D, BranchDropout | null, tf.Tensor1D, tf.Tensor1D], tf.Tensor3D>({
  name: 'residualNorm', reference, kernels: { '*': composed, webgpu },
});
