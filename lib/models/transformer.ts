import { z } from 'zod';
import { tf } from '../backend/tf';
import type { Net } from '../train/net';
import { NeuralModel, networkFamily } from './neural';
import { registerFamily } from './registry';
import { dense3d, dropoutDraws, WeightFactory } from './net';
import { positionalInput } from '../ops/positionalInput';
import { selfAttentionKeepingInput } from '../ops/selfAttention';
import { dense3dKeepingInput } from '../ops/dense';
import { meanPooledHead } from '../ops/meanPooledHead';
import { residualNorm } from '../ops/residualNorm';
import { logitHead } from '../ops/logitHead';

export const TransformerParams = z.object({
  dModel: z.number().int().min(4).max(1024).default(64),
  heads: z.number().int().min(1).max(32).default(4),
  layers: z.number().int().min(1).max(12).default(2),
  ffSize: z.number().int().min(4).max(4096).default(128),
  pooling: z.enum(['mean', 'last']).default('mean'),
  dropout: z.number().min(0).lt(1).default(0.1),
}).strict().refine((p) => p.dModel % p.heads === 0, { message: 'dModel must be a multiple of heads', path: ['dModel'] });
export type TransformerParams = z.infer<typeof TransformerParams>;

/**
 * Transformer encoder: input projection, learned positions, L post-norm layers of
 * multi-head self-attention and a ReLU feed-forward (each added to its input after dropout,
 * then normalized: `residualNorm`), then mean or last-step pooling and a dense head. (The
 * seed's multi-coin model is 4 layers, 8 heads over 100 bars.)
 */
export function buildTransformer(params: TransformerParams, features: number, window: number, seed: number): Net {
  const w = new WeightFactory(seed);
  const d = params.dModel;
  const inW = w.glorot('input_kernel', features, d);
  const inB = w.fill('input_bias', [d], 0);
  const positions = w.normal('positions', [window, d], 0.02);
  const layers = Array.from({ length: params.layers }, (_, l) => ({
    q: w.glorot(`enc${l}_q`, d, d), k: w.glorot(`enc${l}_k`, d, d), v: w.glorot(`enc${l}_v`, d, d), o: w.glorot(`enc${l}_o`, d, d),
    norm1g: w.fill(`enc${l}_norm1_gain`, [d], 1), norm1b: w.fill(`enc${l}_norm1_bias`, [d], 0),
    ff1: w.glorot(`enc${l}_ff1`, d, params.ffSize), ff1b: w.fill(`enc${l}_ff1_bias`, [params.ffSize], 0),
    ff2: w.glorot(`enc${l}_ff2`, params.ffSize, d), ff2b: w.fill(`enc${l}_ff2_bias`, [d], 0),
    norm2g: w.fill(`enc${l}_norm2_gain`, [d], 1), norm2b: w.fill(`enc${l}_norm2_bias`, [d], 0),
  }));
  const headW = w.glorot('head_kernel', d, 1);
  const headB = w.fill('head_bias', [1], 0);
  const t2 = (v: tf.Variable) => v as tf.Tensor2D;
  const t1 = (v: tf.Variable) => v as tf.Tensor1D;
  return {
    variables: w.variables,
    randomState: w.randomState,
    batchShard: w.batchShard,
    forward(x, training) {
      let h = positionalInput(x, t2(inW), t1(inB), positions as tf.Tensor2D);
      for (const L of layers) {
        // h read by the sublayer and added back by the residual: the sublayer's first op hands h on (`…KeepingInput`)
        const a = selfAttentionKeepingInput(h, t2(L.q), t2(L.k), t2(L.v), params.heads);
        const attended = dense3d(a.attended, t2(L.o));
        h = residualNorm(a.h, attended, dropoutDraws(attended, params.dropout, training, w), t1(L.norm1g), t1(L.norm1b));
        const f = dense3dKeepingInput(h, t2(L.ff1), t1(L.ff1b), 'relu');
        const ff = dense3d(f.y, t2(L.ff2), t1(L.ff2b));
        h = residualNorm(f.x, ff, dropoutDraws(ff, params.dropout, training, w), t1(L.norm2g), t1(L.norm2b));
      }
      const [batch, steps] = h.shape;
      if (params.pooling === 'mean') return meanPooledHead(h, t2(headW), t1(headB));
      return logitHead(h.slice([0, steps - 1, 0], [batch, 1, d]).reshape([batch, d]) as tf.Tensor2D, t2(headW), t1(headB));
    },
  };
}

/** A transformer-encoder classifier. */
export class TransformerModel extends NeuralModel<TransformerParams> {
  constructor(params: Partial<TransformerParams> = {}) {
    super('transformer', TransformerParams, buildTransformer, params);
  }
}

export const transformer = (params: Partial<TransformerParams> = {}) => new TransformerModel(params);

registerFamily('transformer', networkFamily(transformer, 'transformer encoder (params: dModel, heads, layers, ffSize, pooling, dropout)'));
