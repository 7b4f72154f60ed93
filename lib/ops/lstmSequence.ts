import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { lstmSequenceWasm } from './lstmSequenceWasm';
import { lstmSequenceWebgpu, webgpuLstmFits } from './lstmSequenceWebgpu';

/**
 * One direction of an LSTM layer over a whole window, after its input projection:
 * `projected` [batch, steps, 4·units] (x·W + b for every step, gates in the order i, f, g, o),
 * `recurrent` [units, 4·units]. Returns every step's h [batch, steps, units] (in time order,
 * also when run in reverse) with `sequence`, else the last processed step's h [batch, units].
 */
export interface LstmSequenceOptions { reverse: boolean; sequence: boolean }

/** tanh; on wasm as 2·σ(2x) − 1, since its Tanh kernel is ~10× slower than Sigmoid (same values to ~1e-7). */
function tanh(x: tf.Tensor2D): tf.Tensor2D {
  return (tf.getBackend() === 'wasm' ? tf.sigmoid(x.mul(2)).mul(2).sub(1) : tf.tanh(x)) as tf.Tensor2D;
}

/** [batch, n] per step → [batch, steps, n]: a concat of reshaped steps, which is faster than Pack on wasm. */
function stackSteps(steps: tf.Tensor2D[]): tf.Tensor3D {
  const [batch, n] = steps[0].shape;
  return tf.concat(steps.map((s) => s.reshape([batch, 1, n])), 1) as tf.Tensor3D;
}

/** The plain-op definition: autograd differentiates ~a dozen ops a step. */
function reference(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: LstmSequenceOptions): tf.Tensor {
  const [batch, steps, four] = projected.shape;
  const units = four / 4;
  const inputs = tf.unstack(projected, 1) as tf.Tensor2D[];
  let h = tf.zeros([batch, units]) as tf.Tensor2D;
  let c = tf.zeros([batch, units]) as tf.Tensor2D;
  const outputs: tf.Tensor2D[] = new Array(steps);
  for (let s = 0; s < steps; s++) {
    const t = o.reverse ? steps - 1 - s : s;
    const z = inputs[t].add(tf.matMul(h, recurrent));
    const [i, f, g, out] = tf.split(z, 4, 1);
    c = tf.sigmoid(f).mul(c).add(tf.sigmoid(i).mul(tanh(g as tf.Tensor2D))) as tf.Tensor2D;
    h = tf.sigmoid(out).mul(tanh(c)) as tf.Tensor2D;
    outputs[t] = h;
  }
  return o.sequence ? tf.stack(outputs, 1) : h;
}

/**
 * The fused kernel (any backend): the g-gate's columns are scaled by 2 once, so one sigmoid
 * per step gives all four gates (tanh(g) = 2·σ(2g) − 1), and the backward pass through time
 * is written by hand (`tf.customGrad`): per step one matMul back through the recurrent
 * weights and a few elementwise ops; the recurrent weights' gradient is one matMul over all
 * steps at the end. About a fifth of the kernel calls autograd makes of the reference.
 */
function fused(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: LstmSequenceOptions): tf.Tensor {
  const [batch, steps, four] = projected.shape;
  const units = four / 4;
  const body = (p: tf.Tensor3D, r: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // scale: 1 for i, f, o; 2 for g (σ(2g) gives tanh(g) after 2·σ − 1)
    const scale = tf.concat([tf.ones([2 * units]), tf.fill([units], 2), tf.ones([units])]);
    const inputs = tf.unstack(p.mul(scale), 1) as tf.Tensor2D[];
    const rScaled = r.mul(scale) as tf.Tensor2D;
    let h = tf.zeros([batch, units]) as tf.Tensor2D;
    let c = tf.zeros([batch, units]) as tf.Tensor2D;
    const order = Array.from({ length: steps }, (_, s) => (o.reverse ? steps - 1 - s : s));
    const kept: tf.Tensor[] = []; // per processed step: i, f, g, out, c before, tanh(c), h before
    const outputs: tf.Tensor2D[] = new Array(steps);
    for (const t of order) {
      const a = tf.sigmoid(tf.matMul(h, rScaled).add(inputs[t])) as tf.Tensor2D;
      const [i, f, g2, out] = tf.split(a, 4, 1) as tf.Tensor2D[];
      const g = g2.mul(2).sub(1) as tf.Tensor2D;
      const cNext = f.mul(c).add(i.mul(g)) as tf.Tensor2D;
      const tc = tf.sigmoid(cNext.mul(2)).mul(2).sub(1) as tf.Tensor2D;
      const hNext = out.mul(tc) as tf.Tensor2D;
      kept.push(i, f, g, out, c, tc, h);
      h = hNext;
      c = cNext;
      outputs[t] = h;
    }
    save(kept);
    const value = o.sequence ? stackSteps(outputs) : h;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dys = o.sequence ? (tf.unstack(dy, 1) as tf.Tensor2D[]) : null;
        const rT = tf.transpose(r) as tf.Tensor2D;
        let dh = (o.sequence ? tf.zeros([batch, units]) : dy) as tf.Tensor2D;
        let dc = tf.zeros([batch, units]) as tf.Tensor2D;
        const dzs: tf.Tensor2D[] = new Array(steps);
        const hBefore: tf.Tensor2D[] = new Array(steps);
        for (let s = steps - 1; s >= 0; s--) {
          const t = order[s];
          const [i, f, g, out, cBefore, tc, hPrev] = saved.slice(7 * s, 7 * s + 7) as tf.Tensor2D[];
          if (dys) dh = dh.add(dys[t]) as tf.Tensor2D;
          dc = dc.add(dh.mul(out).mul(tc.square().neg().add(1))) as tf.Tensor2D;
          // d pre-activation: σ' = a(1 − a) for i, f, o; tanh' = 1 − g² for g
          const dz = tf.concat([
            dc.mul(g).mul(i).mul(i.neg().add(1)),
            dc.mul(cBefore).mul(f).mul(f.neg().add(1)),
            dc.mul(i).mul(g.square().neg().add(1)),
            dh.mul(tc).mul(out).mul(out.neg().add(1)),
          ], 1) as tf.Tensor2D;
          dzs[t] = dz;
          hBefore[s] = hPrev;
          dh = tf.matMul(dz, rT);
          dc = dc.mul(f) as tf.Tensor2D;
        }
        const dP = stackSteps(dzs);
        // dR = Σ_t h_{t-1}ᵀ · dz_t, as one matMul over all steps
        const dzByStep = tf.concat(order.map((t) => dzs[t]), 0);
        const dR = tf.matMul(tf.transpose(tf.concat(hBefore, 0)), dzByStep);
        return [dP, dR];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(projected, recurrent);
}

export const lstmSequence = fusedOp<[tf.Tensor3D, tf.Tensor2D, LstmSequenceOptions], tf.Tensor>({
  name: 'lstmSequence',
  reference,
  kernels: {
    '*': fused,
    wasm: lstmSequenceWasm,
    webgpu: (p, r, o) => (webgpuLstmFits(p.shape[2] / 4) ? lstmSequenceWebgpu(p, r, o) : fused(p, r, o)),
  },
});
