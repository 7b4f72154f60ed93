import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';
import { inPlaceAvailable, newOutputs, runInPlace, valueOnCpu } from './webgpuInPlace';

/**
 * Binary cross-entropy on logits, numerically stable — max(z, 0) − z·y + log(1 + exp(−|z|)) —
 * averaged with per-sample weights (Σ w·ℓ / Σ w; a plain mean without them). Only the logits
 * are differentiated: ∂/∂z = (σ(z) − y) · w / Σ w. Labels and weights are data.
 */
function reference(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const perSample = logits.relu().sub(logits.mul(labels)).add(logits.abs().neg().exp().log1p());
  if (!weights) return perSample.mean() as tf.Scalar;
  return perSample.mul(weights).sum().div(weights.sum()) as tf.Scalar;
}

/** The plain-op forward with the gradient written out (autograd would take ~10 kernels back). */
function fused(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  // what the gradient reads is saved: tensors made in the forward pass are freed before backprop
  const body = (z: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save(weights ? [z, labels, weights] : [z, labels]);
    return {
      value: reference(z, labels, weights),
      gradFunc: (dy: tf.Tensor, [zz, y, w]: tf.Tensor[]) => {
        const diff = tf.sigmoid(zz).sub(y);
        const scaled = w ? diff.mul(w).div(w.sum()) : diff.div(zz.size);
        return scaled.mul(dy);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(logits) as tf.Scalar;
}

const THREADS = 256;

/**
 * WGSL: one workgroup reduces Σ w·ℓ and Σ w over the `count` logits (w = 1 unweighted: no W
 * array), then thread 0 runs `store` with them in `lossSum[0]` and `weightSum[0]`.
 */
const FORWARD = (weighted: boolean, count: string, store: string) => `
        var<workgroup> lossSum : array<f32, ${THREADS}>;
        var<workgroup> weightSum : array<f32, ${THREADS}>;
        fn main(index : i32) {
          let j = i32(localId.x);
          var l = 0.0;
          var s = 0.0;
          for (var i = j; i < ${count}; i = i + ${THREADS}) {
            let z = Z[i];
            let w = ${weighted ? 'W[i]' : '1.0'};
            l = l + (max(z, 0.0) - z * Y[i] + log(1.0 + exp(-abs(z)))) * w;
            s = s + w;
          }
          lossSum[j] = l;
          weightSum[j] = s;${workgroupSum(['lossSum', 'weightSum'], THREADS)}
          if (j == 0) { ${store} }
        }`;

/**
 * webgpu: the loss in one dispatch (one workgroup reduces Σ w·ℓ and Σ w), its gradient in one.
 * Where a dispatch can write several outputs (`webgpuInPlace.ts`) the loss's dispatch also
 * writes Σ w for the gradient, and unweighted there is no tensor of ones: one dispatch a step
 * each fewer (the gradient's Σ w was a reduction, the ones a fill).
 */
function webgpu(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const weighted = weights !== undefined;
  const inPlace = inPlaceAvailable();
  const body = (z: tf.Tensor1D, save: tf.GradSaveFunc) => {
    let loss: tf.Tensor, total: tf.Tensor | null = null, w: tf.Tensor | null = weights ?? null;
    if (inPlace) {
      [loss, total] = newOutputs([[], [1]]); // the loss a scalar already: no reshape op
      runInPlace({
        key: `gatebook_bce_forward_in_place_${weighted ? 'weighted' : 'unweighted'}`, written: ['L', 'S'], read: weighted ? ['Z', 'Y', 'W'] : ['Z', 'Y'],
        uniforms: ['n : i32'], workgroupSize: THREADS, main: () => FORWARD(weighted, 'uniforms.n', 'L[0] = lossSum[0] / weightSum[0]; S[0] = weightSum[0];'),
      }, [loss, total], weighted ? [z, labels, weights] : [z, labels], [{ type: 'i32', value: z.size }], THREADS);
    } else {
      w ??= tf.onesLike(labels);
      loss = runProgram({
        outputShape: [1], shaderKey: 'gatebook_bce_forward', dispatchLayout: { x: [0] }, dispatch: [1, 1, 1],
        variableNames: ['Z', 'Y', 'W'], workgroupSize: [THREADS, 1, 1],
        getUserCode: () => FORWARD(true, 'uniforms.zShape', 'result[0] = lossSum[0] / weightSum[0];'),
      }, [z, labels, w]);
    }
    // what the gradient reads: tensors made in the forward pass are freed before backprop
    save([z, labels, ...(w ? [w] : []), ...(total ? [total] : [])]);
    return {
      value: (loss.rank === 0 ? loss : loss.reshape([])) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zz, y] = saved;
        const ww = w ? saved[2] : null;
        const sum = total ? saved[saved.length - 1] : ww!.sum();
        // dy (backprop's seed, 1, when the loss is what is differentiated) as a uniform where tfjs holds it on the CPU:
        // no buffer made and copied for it at every step
        const d = valueOnCpu(dy);
        const seed = d === null
          ? { key: '', names: ['D'], read: 'D[0]', inputs: [dy], options: {}, values: undefined }
          : { key: '_dy_uniform', names: [], read: 'uniforms.dy', inputs: [], options: { uniforms: 'dy : f32,' }, values: [d] };
        const names = ['Z', 'Y', ...(ww ? ['W'] : []), 'T', ...seed.names];
        return runProgram(flatProgram(`gatebook_bce_backward_${ww ? 'weighted' : 'unweighted'}${seed.key}`, zz.shape, zz.size, names, () => `
          fn main(index : i32) {
            if (index < uniforms.zShape) {
              result[index] = (1.0 / (1.0 + exp(-Z[index])) - Y[index])${ww ? ' * W[index]' : ''} / T[0] * ${seed.read};
            }
          }`, seed.options), [zz, y, ...(ww ? [ww] : []), sum, ...seed.inputs], seed.values);
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(logits) as tf.Scalar;
}

export const weightedBceOp = fusedOp<[tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined], tf.Scalar>({ name: 'weightedBce', reference, kernels: { '*': fused, webgpu } });
