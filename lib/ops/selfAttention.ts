import { tf } from '../backend/tf';
import { attention, attentionPacked, attentionPackedAvailable } from './attention';
import { dense3d, dense3dKeepingInput } from './dense';
import { fusedEnabled, fusedOp } from './fusedOp';
import { newOutputs, runInPlace } from './webgpuInPlace';

/*
 * Multi-head self-attention of h [b, t, f] with its projections: attention(h·wq, h·wk, h·wv)
 * (wq, wk, wv [f, d]; `attention.ts`) → [b, t, d].
 *
 * On webgpu the three projections are one matMul, h·[wq | wk | wv] → [b, t, 3d], and the
 * attention kernels read q, k and v from that one tensor and write their gradients into one
 * (`attentionPacked`). A transformer layer's projections were 15 dispatches a training step —
 * three matMuls forward; back, three weight gradients (each a split-K product and its fill of
 * zeros), three input gradients and three adds of h's gradients — and are 6: the weights'
 * concat and the matMul forward; back, the weight gradient, its split into three (one
 * dispatch), the input gradient and one add. The weights stay three variables (checkpoints
 * and weights are as before). Other backends run the three products and the attention op.
 */
/** The plain ops: three products and attention's plain ops. */
function reference(h: tf.Tensor3D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, heads: number): tf.Tensor3D {
  return attention.op.reference(dense3d(h, wq), dense3d(h, wk), dense3d(h, wv), heads);
}

/** Three products and the attention op (its kernel for the backend). */
function separate(h: tf.Tensor3D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, heads: number): tf.Tensor3D {
  return attention(dense3d(h, wq), dense3d(h, wk), dense3d(h, wv), heads);
}

/** [wq | wk | wv] [f, 3d]: tfjs's concat forward; its gradient split into the three in one dispatch (tfjs's is a slice each). */
function concatColumns(wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D): tf.Tensor2D {
  const [f, d] = wq.shape;
  const body = (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D) => ({
    value: tf.concat([a, b, c], 1),
    gradFunc: (dy: tf.Tensor) => {
      const parts = newOutputs([[f, d], [f, d], [f, d]]);
      runInPlace({
        key: `gatebook_split_columns_${d}`, written: ['A', 'B', 'C'], read: ['DY'], uniforms: ['size : i32'],
        main: () => `
        fn main(index : i32) {
          if (index < uniforms.size) {
            let row = index / ${d};
            let at = row * ${3 * d} + index % ${d};
            A[index] = DY[at];
            B[index] = DY[at + ${d}];
            C[index] = DY[at + ${2 * d}];
          }
        }`,
      }, parts, [dy], [{ type: 'i32', value: f * d }], f * d);
      return parts;
    },
  });
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(wq, wk, wv) as tf.Tensor2D;
}

function webgpu(h: tf.Tensor3D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, heads: number): tf.Tensor3D {
  if (!attentionPackedAvailable(h.shape[1])) return separate(h, wq, wk, wv, heads);
  return attentionPacked(dense3d(h, concatColumns(wq, wk, wv)), heads);
}

export const selfAttention = fusedOp<[tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, number], tf.Tensor3D>({
  name: 'selfAttention', reference, kernels: { '*': separate, webgpu },
});

/**
 * `selfAttention`, and h again — for the residual that adds h back: on webgpu's packed path
 * the projection's second output (`dense3dKeepingInput`: h's two gradients summed in the
 * projection's dy·wᵀ dispatch); elsewhere h itself (the same computation).
 */
export function selfAttentionKeepingInput(h: tf.Tensor3D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, heads: number): { attended: tf.Tensor3D; h: tf.Tensor3D } {
  if (!fusedEnabled() || tf.getBackend() !== 'webgpu' || !attentionPackedAvailable(h.shape[1])) return { attended: selfAttention(h, wq, wk, wv, heads), h };
  const { y: qkv, x: kept } = dense3dKeepingInput(h, concatColumns(wq, wk, wv));
  return { attended: attentionPacked(qkv, heads), h: kept };
}
