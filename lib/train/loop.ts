import { tf } from '../backend/tf';
import { GatebookError } from '../util/errors';
import { Random } from '../util/random';
import type { Net } from '../models/net';
import type { PreparedData } from '../models/classifier';
import { balanced, classWeights, shuffled } from '../tensors/sampling';
import { makeBatch } from '../tensors/windows';
import { clipByGlobalNorm, weightedBce } from './loss';
import { TrainOptions, type TrainOptionsInput } from './options';
import { learningRateAt, PlateauTracker } from './schedule';

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  loss: number;
  valLoss: number;
  valAccuracy: number;
  gradNorm: number;
  samplesPerSecond: number;
  seconds: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerSecond: number;
  etaSeconds: number;
  last?: EpochRecord;
}

export interface TrainCallbacks {
  onBatch?: (p: TrainProgress) => void;
  onEpoch?: (record: EpochRecord, improved: boolean, p: TrainProgress) => void | Promise<void>;
  /** Return true to stop after the current batch (an interrupt). */
  shouldStop?: () => boolean;
  /** Epoch to start at when resuming from a checkpoint. */
  startEpoch?: number;
}

export interface TrainResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  samplesPerSecond: number;
}

/** Training stopped because the loss or a gradient went NaN / Inf; nothing is saved. */
export class TrainingDivergedError extends GatebookError {}

/**
 * Train a network: Adam, class-weighted BCE, LR schedule with warm-up, gradient clipping,
 * early stopping on the validation loss (best weights restored), seeded shuffling and
 * dropout, NaN/Inf detection. Every tensor made per batch is freed: the tensor count after
 * an epoch equals the count before it.
 */
export async function trainNetwork(net: Net, data: PreparedData, input: TrainOptionsInput = {}, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const o = TrainOptions.parse(input);
  const rng = new Random(o.seed);
  const variables = [...net.variables.values()];
  const optimizer = tf.train.adam(o.learningRate);
  const weights = o.classWeighted ? classWeights(data.source.labels, data.train) : ([1, 1] as [number, number]);
  const plateau = new PlateauTracker();
  const history: EpochRecord[] = [];
  let best = { epoch: -1, valLoss: Infinity, weights: null as Float32Array[] | null };
  let stale = 0;
  let interrupted = false;
  let trained = 0;
  const started = performance.now();
  try {
    for (let epoch = callbacks.startEpoch ?? 0; epoch < o.epochs && !interrupted; epoch++) {
      const learningRate = learningRateAt(epoch, o, plateau);
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const order = o.balanced ? balanced(data.source.labels, data.train, rng) : shuffled(data.train, rng);
      const batches = Math.min(Math.ceil(order.length / o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
      const epochStart = performance.now();
      let lossSum = 0;
      let gradNorm = 0;
      for (let b = 0; b < batches; b++) {
        const batch = makeBatch(data.source, order.subarray(b * o.batchSize, (b + 1) * o.batchSize), data.window);
        const { loss, norm } = step(net, variables, optimizer, batch, data.source.features, data.window, weights, o.clipNorm);
        if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
          throw new TrainingDivergedError(
            `training diverged: loss ${loss}, gradient norm ${norm} at epoch ${epoch + 1}, batch ${b + 1} (learning rate ${learningRate}); ` +
              'nothing was saved. Lower the learning rate, keep clipNorm on, and check the features for extreme values.',
          );
        }
        lossSum += loss;
        gradNorm = Math.max(gradNorm, norm);
        trained += batch.size;
        const rate = trained / ((performance.now() - started) / 1000);
        const remaining = (o.epochs - epoch - 1) * batches + (batches - b - 1);
        callbacks.onBatch?.({ epoch: epoch + 1, epochs: o.epochs, batch: b + 1, batches, loss: lossSum / (b + 1), samplesPerSecond: rate, etaSeconds: (remaining * o.batchSize) / rate });
        if (callbacks.shouldStop?.()) {
          interrupted = true;
          break;
        }
        await new Promise((r) => setImmediate(r)); // let an interrupt or a display update in
      }
      const val = evaluateLoss(net, data, o.batchSize * 4);
      const seconds = (performance.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1, learningRate, loss: lossSum / batches, valLoss: val.loss, valAccuracy: val.accuracy, gradNorm,
        samplesPerSecond: (Math.min(order.length, batches * o.batchSize)) / seconds, seconds,
      };
      if (!Number.isFinite(val.loss)) throw new TrainingDivergedError(`validation loss is ${val.loss} after epoch ${epoch + 1}: the model outputs NaN/Inf; nothing was saved`);
      history.push(record);
      if (o.schedule.kind === 'plateau') plateau.update(val.loss, o.schedule.patience, o.schedule.factor);
      const improved = val.loss < best.valLoss - 1e-7;
      if (improved) {
        best = { epoch: epoch + 1, valLoss: val.loss, weights: variables.map((v) => v.dataSync().slice() as Float32Array) };
        stale = 0;
      } else stale++;
      await callbacks.onEpoch?.(record, improved, { epoch: epoch + 1, epochs: o.epochs, batch: batches, batches, loss: record.loss, samplesPerSecond: record.samplesPerSecond, etaSeconds: 0, last: record });
      if (stale >= o.patience) break;
    }
  } finally {
    optimizer.dispose();
  }
  if (o.restoreBest && best.weights) variables.forEach((v, i) => assignValues(v, best.weights![i]));
  const last = history.at(-1);
  return {
    history,
    bestEpoch: best.epoch,
    bestValLoss: best.valLoss,
    stoppedEarly: stale >= o.patience && (last?.epoch ?? 0) < o.epochs,
    interrupted,
    samplesPerSecond: trained / ((performance.now() - started) / 1000),
  };
}

function step(
  net: Net, variables: tf.Variable[], optimizer: tf.Optimizer, batch: ReturnType<typeof makeBatch>,
  features: number, window: number, classWeight: [number, number], clipNorm: number,
): { loss: number; norm: number } {
  return tf.tidy(() => {
    const x = tf.tensor3d(batch.x, [batch.size, window, features]);
    const y = tf.tensor1d(batch.y);
    const w = tf.tensor1d(Float32Array.from(batch.y, (l) => classWeight[l > 0.5 ? 1 : 0]));
    const { value, grads } = tf.variableGrads(() => {
      const loss = weightedBce(net.forward(x, true), y, w);
      return net.penalty ? loss.add(net.penalty()) : loss;
    }, variables);
    const clipped = clipByGlobalNorm(grads, clipNorm);
    const loss = value.dataSync()[0];
    if (Number.isFinite(loss) && Number.isFinite(clipped.norm)) optimizer.applyGradients(clipped.grads);
    return { loss, norm: clipped.norm };
  });
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

/** Set a variable's values from a plain array (the temporary tensor is freed). */
export function assignValues(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape);
  v.assign(t);
  t.dispose();
}
