import { tf } from '../backend/tf';
import { GatebookError } from '../util/errors';
import { Random } from '../util/random';
import { clipByGlobalNorm } from './loss';
import { TrainOptions, type TrainOptionsInput } from './options';
import { learningRateAt, PlateauTracker } from './schedule';
import { assignValues, snapshot } from './weights';

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  loss: number;
  valLoss: number;
  /** NaN for objectives without a validation accuracy (reconstruction) */
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
 * What is being learned, as the loop sees it (the loss is pluggable): classification of
 * windows (train/classification.ts), masked reconstruction (models/pretrain.ts), ….
 */
export interface Objective {
  /** Order the epoch's examples with the loop's seeded generator; returns the number of batches. */
  startEpoch(rng: Random, batchSize: number): number;
  /** Batch `b` of the epoch: its size and its training loss (called inside the gradient tape, dropout on). */
  batch(b: number): { size: number; loss: () => tf.Scalar };
  /** After each epoch: the loss early stopping watches (and a validation accuracy where there is one). */
  validate(): { loss: number; accuracy?: number };
  /** What to say when training diverges (which setting to lower). */
  divergenceHint?: string;
}

/**
 * The one training loop: Adam over `variables`, the LR schedule with warm-up, gradient
 * clipping, NaN/Inf detection, early stopping on the objective's validation loss with the
 * best weights restored, callbacks for progress, checkpoints and interrupts. Every tensor
 * made per batch is freed: the tensor count after an epoch equals the count before it.
 */
export async function trainLoop(variables: tf.Variable[], objective: Objective, input: TrainOptionsInput = {}, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const o = TrainOptions.parse(input);
  const rng = new Random(o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const plateau = new PlateauTracker();
  const history: EpochRecord[] = [];
  const hint = objective.divergenceHint ?? 'Lower the learning rate, keep clipNorm on, and check the features for extreme values.';
  let best = { epoch: -1, valLoss: Infinity, weights: null as Float32Array[] | null };
  let stale = 0;
  let interrupted = false;
  let trained = 0;
  const started = performance.now();
  try {
    for (let epoch = callbacks.startEpoch ?? 0; epoch < o.epochs && !interrupted; epoch++) {
      const learningRate = learningRateAt(epoch, o, plateau);
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const batches = Math.min(objective.startEpoch(rng, o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
      const epochStart = performance.now();
      let lossSum = 0;
      let gradNorm = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const batch = objective.batch(b);
        const { loss, norm } = step(variables, optimizer, batch.loss, o.clipNorm);
        if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
          throw new TrainingDivergedError(`training diverged: loss ${loss}, gradient norm ${norm} at epoch ${epoch + 1}, batch ${b + 1} (learning rate ${learningRate}); nothing was saved. ${hint}`);
        }
        lossSum += loss;
        gradNorm = Math.max(gradNorm, norm);
        trained += batch.size;
        seen += batch.size;
        const rate = trained / ((performance.now() - started) / 1000);
        const remaining = (o.epochs - epoch - 1) * batches + (batches - b - 1);
        callbacks.onBatch?.({ epoch: epoch + 1, epochs: o.epochs, batch: b + 1, batches, loss: lossSum / (b + 1), samplesPerSecond: rate, etaSeconds: (remaining * o.batchSize) / rate });
        if (callbacks.shouldStop?.()) {
          interrupted = true;
          break;
        }
        await new Promise((r) => setImmediate(r)); // let an interrupt or a display update in
      }
      const val = objective.validate();
      const seconds = (performance.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1, learningRate, loss: lossSum / Math.max(1, batches), valLoss: val.loss, valAccuracy: val.accuracy ?? NaN, gradNorm,
        samplesPerSecond: seen / seconds, seconds,
      };
      if (!Number.isFinite(val.loss)) throw new TrainingDivergedError(`validation loss is ${val.loss} after epoch ${epoch + 1}: the model outputs NaN/Inf; nothing was saved`);
      history.push(record);
      if (o.schedule.kind === 'plateau') plateau.update(val.loss, o.schedule.patience, o.schedule.factor);
      const improved = val.loss < best.valLoss - 1e-7;
      if (improved) {
        best = { epoch: epoch + 1, valLoss: val.loss, weights: snapshot(variables) };
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

/** One Adam step on the loss's gradients, clipped to `clipNorm`; skipped (and reported) when non-finite. */
function step(variables: tf.Variable[], optimizer: tf.Optimizer, lossOf: () => tf.Scalar, clipNorm: number): { loss: number; norm: number } {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(lossOf, variables);
    const clipped = clipByGlobalNorm(grads, clipNorm);
    const loss = value.dataSync()[0];
    if (Number.isFinite(loss) && Number.isFinite(clipped.norm)) optimizer.applyGradients(clipped.grads);
    return { loss, norm: clipped.norm };
  });
}
