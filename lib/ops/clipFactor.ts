import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { f32, flatProgram, runProgram } from './webgpuProgram';

/**
 * A training step's [loss, norm, scale] from its loss and squared gradient norm, on the
 * device: scale = min(1, clipNorm / norm) (1 when clipNorm is 0), or 0 when the loss or the
 * norm is not finite. What global-norm clipping needs, without reading the norm back.
 */
function reference(loss: tf.Scalar, normSquared: tf.Scalar, clipNorm: number): tf.Tensor1D {
  return tf.tidy(() => {
    const norm = tf.sqrt(normSquared);
    const clip = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, norm)) : tf.onesLike(norm);
    const finite = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(norm));
    return tf.stack([loss, norm, tf.where(finite, clip, tf.zerosLike(clip))]) as tf.Tensor1D;
  });
}

function webgpu(loss: tf.Scalar, normSquared: tf.Scalar, clipNorm: number): tf.Tensor1D {
  return runProgram(flatProgram(`gatebook_clip_factor_${clipNorm}`, [3], 1, ['L', 'N'], () => `
    fn finite(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
    fn main(index : i32) {
      if (index == 0 && uniforms.size == 3) { // (a shader must read its uniforms: Dawn drops an unused binding and the bind group fails)
        let l = L[0];
        let n = sqrt(N[0]);
        var s = 1.0;
        if (${f32(clipNorm)} > 0.0 && n > ${f32(clipNorm)}) { s = ${f32(clipNorm)} / n; }
        if (!(finite(l) && finite(n))) { s = 0.0; }
        result[0] = l;
        result[1] = n;
        result[2] = s;
      }
    }`, { size: true }), [loss.reshape([1]), normSquared.reshape([1])]) as tf.Tensor1D;
}

export const clipFactor = fusedOp<[tf.Scalar, tf.Scalar, number], tf.Tensor1D>({ name: 'clipFactor', reference, kernels: { webgpu } });
