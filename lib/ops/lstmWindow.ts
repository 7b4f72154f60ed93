import { tf } from '../backend/tf';

/**
 * A recurrent direction over a whole window from two backend kernels, the way the webgpu and
 * wasm kernels of `lstmSequence` run it: `forward` walks every step and returns S [B, T, ≥ 6U]
 * (per step the activations i, f, g, o, then c, then h, then whatever else the kernel's own
 * backward wants), `backward` walks back from the last
 * processed step and returns dZ [B, T, 4U] (each step's pre-activation gradients) from dH
 * [B, T, U] (the gradient reaching each step's h from above). The recurrent weights' gradient
 * is then one matMul over all steps.
 */
export interface LstmWindowKernels {
  forward(p: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D;
  backward(dH: tf.Tensor3D, s: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D;
}

/** h one processed step earlier at every step (zeros before the first): the recurrent weights' inputs. */
function previousH(hs: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const [batch, steps, units] = hs.shape;
  if (steps === 1) return tf.zeros([batch, 1, units]);
  return reverse
    ? tf.pad(hs.slice([0, 1, 0], [batch, steps - 1, units]), [[0, 0], [0, 1], [0, 0]])
    : tf.pad(hs.slice([0, 0, 0], [batch, steps - 1, units]), [[0, 0], [1, 0], [0, 0]]);
}

export function lstmWindow(kernels: LstmWindowKernels, projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: { reverse: boolean; sequence: boolean }): tf.Tensor {
  const [batch, steps, four] = projected.shape;
  const units = four / 4;
  const last = o.reverse ? 0 : steps - 1; // the last processed step
  const body = (p: tf.Tensor3D, r: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const saved = kernels.forward(p, r, o.reverse);
    const hs = saved.slice([0, 0, 5 * units], [batch, steps, units]) as tf.Tensor3D;
    save([saved, r, hs]);
    const value = o.sequence ? hs : hs.slice([0, last, 0], [batch, 1, units]).reshape([batch, units]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [s, rSaved, hSaved]: tf.Tensor[]) => {
        const dH = (o.sequence ? dy : tf.pad(dy.reshape([batch, 1, units]), [[0, 0], [last, steps - 1 - last], [0, 0]])) as tf.Tensor3D;
        const dZ = kernels.backward(dH, s as tf.Tensor3D, rSaved as tf.Tensor2D, o.reverse);
        const dR = tf.matMul(previousH(hSaved as tf.Tensor3D, o.reverse).reshape([batch * steps, units]), dZ.reshape([batch * steps, four]), true, false);
        return [dZ, dR];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(projected, recurrent);
}
