import { z } from 'zod';
import { tf } from '../backend/tf';
import type { Net } from '../train/net';
import { NeuralModel, networkFamily } from './neural';
import { registerFamily } from './registry';
import { dense3d, dropout, dropoutDraws, WeightFactory } from './net';
import { lstmSequence } from '../ops/lstmSequence';
import { logitHead } from '../ops/logitHead';

export const LstmParams = z.object({
  layers: z.number().int().min(1).max(8).default(2),
  units: z.number().int().min(1).max(1024).default(64),
  bidirectional: z.boolean().default(false),
  dropout: z.number().min(0).lt(1).default(0.2),
}).strict();
export type LstmParams = z.infer<typeof LstmParams>;

/**
 * Stacked LSTM (optionally bidirectional): one input projection for all steps, then one
 * matMul per step for the recurrent part of all four gates; a dense head on the last step
 * (on the concatenated last steps of both directions).
 */
export function buildLstm(params: LstmParams, features: number, _window: number, seed: number): Net {
  const w = new WeightFactory(seed);
  const encoder = lstmEncoder(w, params, features);
  const headW = w.glorot('head_kernel', encoder.size, 1);
  const headB = w.fill('head_bias', [1], 0);
  return {
    variables: w.variables,
    randomState: w.randomState,
    batchShard: w.batchShard,
    forward(x, training) {
      const last = encoder.encode(x, training, false).last;
      return logitHead(last, headW as tf.Tensor2D, headB as tf.Tensor1D, dropoutDraws(last, params.dropout, training, w)); // dropout in the head's kernels
    },
  };
}

export interface LstmEncoder {
  /** width of an encoded step: units × directions */
  size: number;
  /** the top layer's last step (both directions concatenated) and, with `sequence`, every step */
  encode(x: tf.Tensor3D, training: boolean, sequence: boolean): { sequence: tf.Tensor3D | null; last: tf.Tensor2D };
}

/**
 * The LSTM layers alone (weights `lstm<layer>_<fw|bw>_*`): what masked pretraining trains
 * and fine-tuning loads into an LSTM classifier of the same params.
 */
export function lstmEncoder(w: WeightFactory, params: LstmParams, features: number): LstmEncoder {
  const directions = params.bidirectional ? ['fw', 'bw'] : ['fw'];
  const cells = Array.from({ length: params.layers }, (_, l) => {
    const inputSize = l === 0 ? features : params.units * directions.length;
    return directions.map((d) => ({
      kernel: w.glorot(`lstm${l}_${d}_kernel`, inputSize, 4 * params.units),
      recurrent: w.glorot(`lstm${l}_${d}_recurrent`, params.units, 4 * params.units),
      // forget-gate bias 1 (Jozefowicz et al.): remember by default
      bias: w.add1d(`lstm${l}_${d}_bias`, 4 * params.units, (i) => (i >= params.units && i < 2 * params.units ? 1 : 0)),
    }));
  });
  const join = <T extends tf.Tensor>(parts: T[], axis: number): T => (parts.length === 1 ? parts[0] : (tf.concat(parts, axis) as T));
  return {
    size: params.units * directions.length,
    encode(x, training, sequence) {
      let seq = x;
      let last: tf.Tensor2D | null = null;
      let full: tf.Tensor3D | null = null;
      cells.forEach((layer, l) => {
        const top = l === params.layers - 1;
        // a layer below the top gives its sequence only; the top its last step (and its sequence when asked)
        const outs = layer.map((cell, d) => runDirection(seq, cell, d === 1, top ? (sequence ? 'both' : 'last') : 'sequence'));
        if (!top) seq = dropout(join(outs.map((o) => o.sequence!), 2), params.dropout, training, w);
        else {
          last = join(outs.map((o) => o.last!), 1);
          if (sequence) full = join(outs.map((o) => o.sequence!), 2);
        }
      });
      return { sequence: full, last: last! };
    },
  };
}

interface Cell { kernel: tf.Variable; recurrent: tf.Variable; bias: tf.Variable }

/**
 * One direction of one layer: one input projection for all steps, then the recurrence (a fused
 * op) — giving the last step's h, the full sequence (what a layer above reads), or both (the
 * last step sliced out of the sequence: a dispatch on webgpu, made only where it is read).
 */
function runDirection(x: tf.Tensor3D, cell: Cell, reverse: boolean, give: 'last' | 'sequence' | 'both'): { sequence: tf.Tensor3D | null; last: tf.Tensor2D | null } {
  const projected = dense3d(x, cell.kernel as tf.Tensor2D, cell.bias as tf.Tensor1D);
  if (give === 'last') return { sequence: null, last: lstmSequence(projected, cell.recurrent as tf.Tensor2D, { reverse, sequence: false }) as tf.Tensor2D };
  const sequence = lstmSequence(projected, cell.recurrent as tf.Tensor2D, { reverse, sequence: true }) as tf.Tensor3D;
  if (give === 'sequence') return { sequence, last: null };
  const steps = sequence.shape[1];
  const last = sequence.slice([0, reverse ? 0 : steps - 1, 0], [-1, 1, -1]).squeeze([1]) as tf.Tensor2D;
  return { sequence, last };
}

/** A (bi)LSTM classifier on windows. */
export class LstmModel extends NeuralModel<LstmParams> {
  constructor(params: Partial<LstmParams> = {}) {
    super('lstm', LstmParams, buildLstm, params);
  }
}

export const lstm = (params: Partial<LstmParams> = {}) => new LstmModel(params);
/** A one-layer bidirectional LSTM unless the params say otherwise (saved as family lstm). */
export const bilstm = (params: Partial<LstmParams> = {}) => new LstmModel({ layers: 1, ...params, bidirectional: true });

registerFamily('lstm', networkFamily(lstm, 'stacked LSTM on the window (params: layers, units, bidirectional, dropout)'));
registerFamily('bilstm', { ...networkFamily(bilstm, 'bidirectional LSTM (params: layers, units, dropout)'), load: (saved) => lstm(saved.meta.params as Partial<LstmParams>).restore(saved) });
