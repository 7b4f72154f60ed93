import { z } from 'zod';
import { tf } from '../backend/tf';
import type { Net } from '../train/net';
import { NeuralModel, networkFamily } from './neural';
import { registerFamily } from './registry';
import { dense3d, dropout, WeightFactory } from './net';
import { causalShifts } from '../ops/causalShifts';

export const TcnParams = z.object({
  channels: z.number().int().min(1).max(512).default(32),
  kernelSize: z.number().int().min(2).max(8).default(3),
  dilations: z.array(z.number().int().positive()).min(1).default([1, 2, 4, 8]),
  dropout: z.number().min(0).lt(1).default(0.1),
}).strict();
export type TcnParams = z.infer<typeof TcnParams>;

/**
 * Temporal convolutional network: residual blocks of dilated causal convolutions. Each
 * convolution is written as k time-shifted copies of the input (zero-padded at the start,
 * so nothing reads the future) concatenated and multiplied by one kernel matrix: only
 * pad / slice / concat / matMul, which have gradients on every backend (conv1d does not
 * train on wasm: Conv2DBackpropFilter is not registered there).
 */
export function buildTcn(params: TcnParams, features: number, _window: number, seed: number): Net {
  const w = new WeightFactory(seed);
  const k = params.kernelSize;
  const blocks = params.dilations.map((dilation, i) => {
    const inSize = i === 0 ? features : params.channels;
    return {
      dilation,
      conv1: w.glorot(`tcn${i}_conv1`, k * inSize, params.channels),
      bias1: w.fill(`tcn${i}_bias1`, [params.channels], 0),
      conv2: w.glorot(`tcn${i}_conv2`, k * params.channels, params.channels),
      bias2: w.fill(`tcn${i}_bias2`, [params.channels], 0),
      skip: inSize === params.channels ? null : w.glorot(`tcn${i}_skip`, inSize, params.channels),
    };
  });
  const headW = w.glorot('head_kernel', params.channels, 1);
  const headB = w.fill('head_bias', [1], 0);
  return {
    variables: w.variables,
    randomState: w.randomState,
    batchShard: w.batchShard,
    forward(x, training) {
      let h = x;
      for (const b of blocks) {
        const y1 = dropout(causalConv(h, b.conv1 as tf.Tensor2D, b.bias1 as tf.Tensor1D, k, b.dilation).relu(), params.dropout, training, w);
        const y2 = dropout(causalConv(y1 as tf.Tensor3D, b.conv2 as tf.Tensor2D, b.bias2 as tf.Tensor1D, k, b.dilation).relu(), params.dropout, training, w);
        const residual = b.skip ? dense3d(h, b.skip as tf.Tensor2D) : h;
        h = y2.add(residual).relu() as tf.Tensor3D;
      }
      const [batch, steps, channels] = h.shape;
      const last = h.slice([0, steps - 1, 0], [batch, 1, channels]).reshape([batch, channels]) as tf.Tensor2D;
      return tf.matMul(last, headW).add(headB).reshape([-1]) as tf.Tensor1D;
    },
  };
}

/** y_t = Σ_j W_j · x_{t − j·d} + b, with zeros before the first step. */
export function causalConv(x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D, k: number, dilation: number): tf.Tensor3D {
  return dense3d(causalShifts(x, k, dilation), kernel, bias);
}

/** A temporal convolutional network classifier. */
export class TcnModel extends NeuralModel<TcnParams> {
  constructor(params: Partial<TcnParams> = {}) {
    super('tcn', TcnParams, buildTcn, params);
  }
}

export const tcn = (params: Partial<TcnParams> = {}) => new TcnModel(params);

registerFamily('tcn', networkFamily(tcn, 'temporal convolutional network (params: channels, kernelSize, dilations, dropout)'));
