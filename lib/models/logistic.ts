import { z } from 'zod';
import { tf } from '../backend/tf';
import type { Net } from '../train/net';
import { NeuralModel, networkFamily } from './neural';
import { registerFamily } from './registry';
import { WeightFactory } from './net';

export const LogisticParams = z.object({
  /** L2 penalty on the weights, added to the loss. */
  l2: z.number().nonnegative().default(1e-4),
}).strict();
export type LogisticParams = z.infer<typeof LogisticParams>;

/** Logistic regression on the last step's (scaled) features. */
export function buildLogistic(params: LogisticParams, features: number, _window: number, seed: number): Net {
  const w = new WeightFactory(seed);
  const kernel = w.glorot('kernel', features, 1);
  const bias = w.fill('bias', [1], 0);
  return {
    variables: w.variables,
    forward(x) {
      const [batch, steps] = x.shape;
      const last = x.slice([0, steps - 1, 0], [batch, 1, features]).reshape([batch, features]) as tf.Tensor2D;
      return tf.matMul(last, kernel as tf.Tensor2D).add(bias).reshape([-1]) as tf.Tensor1D;
    },
    penalty: () => kernel.square().sum().mul(params.l2) as tf.Scalar,
  };
}

/** Logistic regression on the last step, trained by the loop. */
export class LogisticModel extends NeuralModel<LogisticParams> {
  constructor(params: Partial<LogisticParams> = {}) {
    super('logistic', LogisticParams, buildLogistic, params);
  }
}

export const logistic = (params: Partial<LogisticParams> = {}) => new LogisticModel(params);

registerFamily('logistic', networkFamily(logistic, 'logistic regression on the last step (params: l2)'));
