import { tf } from '../backend/tf';
import type { PreparedData } from '../tensors/prepare';
import { balanced, classWeights, shuffled } from '../tensors/sampling';
import { labelsAt, type WindowSource } from '../tensors/windows';
import { windowsTensor } from '../ops/windowsTensor';
import type { DataParallel, ShardResult } from './dataParallel';
import { trainLoop, type Objective, type TrainCallbacks, type TrainResult } from './loop';
import { weightedBce } from './loss';
import type { BatchShard, Net } from './net';
import { TrainOptions, type TrainOptionsInput } from './options';

/**
 * Train a classifier network on windows: class-weighted BCE on the training windows
 * (shuffled or balanced by the loop's seed, dropout and the net's penalty on), early
 * stopping on the unweighted validation BCE, through the one training loop.
 */
export async function trainNetwork(net: Net, data: PreparedData, input: TrainOptionsInput = {}, callbacks: TrainCallbacks = {}, parallel?: DataParallel): Promise<TrainResult> {
  const o = TrainOptions.parse(input);
  const result = await trainLoop([...net.variables.values()], classificationObjective(net, data, o, parallel), o, callbacks);
  return { ...result, workers: parallel?.processes ?? 1 };
}

/** The class weights a training with these options uses. */
export function trainingClassWeights(data: PreparedData, o: Pick<TrainOptions, 'classWeighted'>): [number, number] {
  return o.classWeighted ? classWeights(data.source.labels, data.train) : [1, 1];
}

/**
 * The windows' classification objective for `trainLoop`; with `parallel`, each batch's
 * gradients are computed by it (this thread's shard and the replicas').
 */
export function classificationObjective(net: Net, data: PreparedData, o: Pick<TrainOptions, 'balanced' | 'classWeighted' | 'batchSize'>, parallel?: DataParallel): Objective {
  const weights = trainingClassWeights(data, o);
  const { window } = data;
  const variables = [...net.variables.values()];
  let order = data.train;
  let batchSize = o.batchSize;
  return {
    startEpoch(rng, size) {
      batchSize = size;
      order = o.balanced ? balanced(data.source.labels, data.train, rng) : shuffled(data.train, rng);
      return Math.ceil(order.length / batchSize);
    },
    batch(b) {
      const rows = order.subarray(b * batchSize, (b + 1) * batchSize);
      const whole = { offset: 0, total: rows.length };
      const wholeWeight = weightSum(data.source.labels, rows, weights);
      return {
        size: rows.length,
        loss: () => shardLoss(net, data.source, window, rows, whole, weights, wholeWeight),
        gradients: parallel
          ? () => parallel.gradients(rows, wholeWeight, net.randomState?.get() ?? 0, (mine, shard) => shardGradients(net, variables, data.source, window, mine, shard, weights, wholeWeight))
          : undefined,
      };
    },
    validate: parallel
      ? async () => {
        const { lossSum, hits } = await parallel.evaluate(data.val, batchSize * 4, (mine) => evaluateRows(net, data.source, window, mine, batchSize * 4));
        return { loss: lossSum / Math.max(1, data.val.length), accuracy: hits / Math.max(1, data.val.length) };
      }
      : () => evaluateLoss(net, data, batchSize * 4),
    randomState: net.randomState,
  };
}

function weightSum(labels: Float32Array, rows: ArrayLike<number>, weights: [number, number]): number {
  let sum = 0;
  for (let i = 0; i < rows.length; i++) sum += weights[labels[rows[i]] > 0.5 ? 1 : 0];
  return sum;
}

/**
 * The training loss of a batch's rows `shard` as their share of the whole batch's: their
 * class-weighted BCE × (their weight / the whole batch's), plus the penalty × (their rows /
 * all rows) — so the shards' losses (and gradients) add up to the whole batch's. Dropout on.
 */
export function shardLoss(net: Net, source: WindowSource, window: number, rows: Int32Array, shard: BatchShard, weights: [number, number], wholeWeight: number): tf.Scalar {
  const x = windowsTensor(source, rows, window); // on webgpu gathered on the GPU from a resident copy of the source
  const labels = labelsAt(source, rows);
  const y = tf.tensor1d(labels);
  const w = Float32Array.from(labels, (l) => weights[l > 0.5 ? 1 : 0]);
  const share = weightSum(source.labels, rows, weights) / wholeWeight;
  net.batchShard?.set(shard.total === rows.length ? null : shard);
  try {
    let loss = weightedBce(net.forward(x, true), y, tf.tensor1d(w));
    if (share !== 1) loss = loss.mul(share);
    if (net.penalty) loss = loss.add(rows.length === shard.total ? net.penalty() : net.penalty().mul(rows.length / shard.total));
    return loss;
  } finally {
    net.batchShard?.set(null);
  }
}

/**
 * A shard's loss and its gradients, flat, in `variables`' order (what a replica sends back).
 * The values are read after the tidy: a tidy walks what it returns looking for tensors, and
 * it walks a typed array index by index (~20 ms a step for an LSTM's 100 k gradients).
 */
export function shardGradients(net: Net, variables: tf.Variable[], source: WindowSource, window: number, rows: Int32Array, shard: BatchShard, weights: [number, number], wholeWeight: number): ShardResult {
  const { value, grads } = tf.tidy(() => tf.variableGrads(() => shardLoss(net, source, window, rows, shard, weights, wholeWeight), variables));
  try {
    return { loss: value.dataSync()[0], grads: variables.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/** Unweighted BCE and accuracy on the validation windows. */
export async function evaluateLoss(net: Net, data: PreparedData, batchSize: number): Promise<{ loss: number; accuracy: number }> {
  const { lossSum, hits } = await evaluateRows(net, data.source, data.window, data.val, batchSize);
  return { loss: lossSum / Math.max(1, data.val.length), accuracy: hits / Math.max(1, data.val.length) };
}

/**
 * The summed unweighted BCE and the number of right answers over the windows ending at `rows`
 * (dropout off). Each batch's two sums stay on the device; one asynchronous read at the end.
 */
export async function evaluateRows(net: Net, source: WindowSource, window: number, rows: Int32Array, batchSize: number): Promise<{ lossSum: number; hits: number }> {
  const sums: tf.Tensor[] = [];
  try {
    for (let i = 0; i < rows.length; i += batchSize) {
      const ends = rows.subarray(i, i + batchSize);
      sums.push(tf.tidy(() => {
        const logits = net.forward(windowsTensor(source, ends, window), false);
        const y = tf.tensor1d(labelsAt(source, ends));
        const l = weightedBce(logits, y).mul(ends.length);
        const h = logits.greater(0).cast('float32').equal(y).cast('float32').sum();
        return tf.stack([l, h]);
      }));
    }
    let lossSum = 0;
    let hits = 0;
    for (const s of sums) {
      const [l, h] = await s.data();
      lossSum += l;
      hits += h;
    }
    return { lossSum, hits };
  } finally {
    tf.dispose(sums);
  }
}
