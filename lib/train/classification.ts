import { tf } from '../backend/tf';
import type { PreparedData } from '../tensors/prepare';
import { balanced, classWeights, shuffled } from '../tensors/sampling';
import { makeBatch } from '../tensors/windows';
import { trainLoop, type Objective, type TrainCallbacks, type TrainResult } from './loop';
import { weightedBce } from './loss';
import type { Net } from './net';
import { TrainOptions, type TrainOptionsInput } from './options';

/**
 * Train a classifier network on windows: class-weighted BCE on the training windows
 * (shuffled or balanced by the loop's seed, dropout and the net's penalty on), early
 * stopping on the unweighted validation BCE, through the one training loop.
 */
export async function trainNetwork(net: Net, data: PreparedData, input: TrainOptionsInput = {}, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const o = TrainOptions.parse(input);
  return trainLoop([...net.variables.values()], classificationObjective(net, data, o), o, callbacks);
}

/** The windows' classification objective for `trainLoop`. */
export function classificationObjective(net: Net, data: PreparedData, o: Pick<TrainOptions, 'balanced' | 'classWeighted' | 'batchSize'>): Objective {
  const weights = o.classWeighted ? classWeights(data.source.labels, data.train) : ([1, 1] as [number, number]);
  const { window } = data;
  const features = data.source.features;
  let order = data.train;
  let batchSize = o.batchSize;
  return {
    startEpoch(rng, size) {
      batchSize = size;
      order = o.balanced ? balanced(data.source.labels, data.train, rng) : shuffled(data.train, rng);
      return Math.ceil(order.length / batchSize);
    },
    batch(b) {
      const batch = makeBatch(data.source, order.subarray(b * batchSize, (b + 1) * batchSize), window);
      return {
        size: batch.size,
        loss: () => {
          const x = tf.tensor3d(batch.x, [batch.size, window, features]);
          const y = tf.tensor1d(batch.y);
          const w = tf.tensor1d(Float32Array.from(batch.y, (l) => weights[l > 0.5 ? 1 : 0]));
          const loss = weightedBce(net.forward(x, true), y, w);
          return net.penalty ? loss.add(net.penalty()) : loss;
        },
      };
    },
    validate: () => evaluateLoss(net, data, batchSize * 4),
    randomState: net.randomState,
  };
}

/** Unweighted BCE and accuracy on the validation windows. */
export function evaluateLoss(net: Net, data: PreparedData, batchSize: number): { loss: number; accuracy: number } {
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < data.val.length; i += batchSize) {
    const batch = makeBatch(data.source, data.val.subarray(i, i + batchSize), data.window);
    const [loss, hits] = tf.tidy(() => {
      const logits = net.forward(tf.tensor3d(batch.x, [batch.size, data.window, data.source.features]), false);
      const y = tf.tensor1d(batch.y);
      const l = weightedBce(logits, y).mul(batch.size);
      const h = logits.greater(0).cast('float32').equal(y).cast('float32').sum();
      return [l.dataSync()[0], h.dataSync()[0]];
    });
    lossSum += loss;
    correct += hits;
  }
  return { loss: lossSum / Math.max(1, data.val.length), accuracy: correct / Math.max(1, data.val.length) };
}
