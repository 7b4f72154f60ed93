import { tf } from '../backend/tf';
import { assertWebgpuHealthy, submitWebgpuWork } from '../backend/webgpu';
import { adam, GatebookAdam } from '../ops/adam';
import { beginWork, cancellationToken, InterruptedError } from '../util/cancel';
import { GatebookError, InputError } from '../util/errors';
import { Random } from '../util/random';
import { clipFactor, clipToNorm, globalNormSquared } from './loss';
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
  /** Continue a run exactly where this state (saved by `onState`) left it. */
  resumeFrom?: LoopState;
  /** The loop's whole state after each epoch: what an exact resume needs. */
  onState?: (state: LoopState) => void | Promise<void>;
  /** Training ended: all epochs ran, early stopping ended it, it was cancelled (InterruptedError), or it failed. */
  onEnd?: (how: TrainingEnd, error?: unknown) => void;
}

export type TrainingEnd = 'finished' | 'stopped early' | 'interrupted' | 'failed';

/** Several watchers of one training as one (the log and a notebook's widget): each gets every event. */
export function combineCallbacks(...all: Array<TrainCallbacks | undefined>): TrainCallbacks {
  const list = all.filter((c): c is TrainCallbacks => Boolean(c));
  return {
    onBatch: (p) => list.forEach((c) => c.onBatch?.(p)),
    onEpoch: async (r, improved, p) => {
      for (const c of list) await c.onEpoch?.(r, improved, p);
    },
    shouldStop: () => list.some((c) => c.shouldStop?.() ?? false),
    resumeFrom: list.find((c) => c.resumeFrom)?.resumeFrom,
    onState: list.some((c) => c.onState) ? async (s) => {
      for (const c of list) await c.onState?.(s);
    } : undefined,
    onEnd: (how, error) => list.forEach((c) => c.onEnd?.(how, error)),
  };
}

/**
 * Everything the loop carries from one epoch to the next — weights, Adam's moments and step,
 * the shuffling generator, the net's dropout counter, the plateau tracker, the best epoch and
 * its weights, the history — so a run resumed from it gives the history an uninterrupted run
 * gives.
 */
export interface LoopState {
  /** epochs completed */
  epoch: number;
  history: EpochRecord[];
  best: { epoch: number; valLoss: number; weights: Float32Array[] | null };
  stale: number;
  plateau: { best: number; waited: number; factor: number };
  rng: number[];
  netRandom: number | null;
  variables: Float32Array[];
  optimizer: Array<{ name: string; shape: number[]; values: Float32Array }>;
  /** Adam's running β₁ᵗ, β₂ᵗ as float32 products (tfjs's setWeights recomputes them with pow: last-bit different) */
  adamPowers: [number, number] | null;
}

export interface TrainResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  samplesPerSecond: number;
  /** processes that computed gradients (data parallelism; 1: this thread only) */
  workers?: number;
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
  /**
   * Batch `b` of the epoch: its size and its training loss (called inside the gradient tape,
   * dropout on) — or, computed elsewhere (data-parallel replicas), its loss and gradients
   * (flat, in the variables' order).
   */
  batch(b: number): { size: number; loss: () => tf.Scalar; gradients?: () => Promise<{ loss: number; grads: Float32Array[] }> };
  /** After each epoch: the loss early stopping watches (and a validation accuracy where there is one). */
  validate(): { loss: number; accuracy?: number } | Promise<{ loss: number; accuracy?: number }>;
  /** What to say when training diverges (which setting to lower). */
  divergenceHint?: string;
  /** The net's own randomness (dropout), carried in a resume state. */
  randomState?: { get(): number; set(value: number): void };
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
  const optimizer = adam(o.learningRate);
  const plateau = new PlateauTracker();
  const hint = objective.divergenceHint ?? 'Lower the learning rate, keep clipNorm on, and check the features for extreme values.';
  const resumed = callbacks.resumeFrom;
  const history: EpochRecord[] = resumed ? [...resumed.history] : [];
  let best = resumed ? { ...resumed.best } : { epoch: -1, valLoss: Infinity, weights: null as Float32Array[] | null };
  let stale = resumed?.stale ?? 0;
  let interrupted = false;
  let trained = 0;
  if (resumed) await restore(resumed, variables, optimizer, rng, plateau, objective);
  const started = performance.now();
  const token = cancellationToken();
  const work = beginWork();
  // on webgpu a step's loss and gradient norm stay on the device and are read every readEvery()
  // steps (a read drains the GPU's queue); elsewhere each step is read as it ends
  const deferred = tf.getBackend() === 'webgpu' && optimizer instanceof GatebookAdam;
  const every = deferred ? readEvery() : 1;
  let pending: Array<{ batch: number; values: tf.Tensor }> = [];
  let flush = async (): Promise<void> => {};
  try {
    for (let epoch = resumed?.epoch ?? 0; epoch < o.epochs && !interrupted; epoch++) {
      const learningRate = learningRateAt(epoch, o, plateau);
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const batches = Math.min(objective.startEpoch(rng, o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
      const epochStart = performance.now();
      let lossSum = 0;
      let gradNorm = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        token.throwIfCancelled(`training, epoch ${epoch + 1}, batch ${b + 1}`); // nothing of this run is kept
        const batch = objective.batch(b);
        const account = (at: number, loss: number, norm: number) => {
          if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
            throw new TrainingDivergedError(`training diverged: loss ${loss}, gradient norm ${norm} at epoch ${epoch + 1}, batch ${at + 1} (learning rate ${learningRate}); nothing was saved. ${hint}`);
          }
          lossSum += loss;
          gradNorm = Math.max(gradNorm, norm);
        };
        const progress = (done: number) => {
          const rate = trained / ((performance.now() - started) / 1000);
          const remaining = (o.epochs - epoch - 1) * batches + (batches - done);
          callbacks.onBatch?.({ epoch: epoch + 1, epochs: o.epochs, batch: done, batches, loss: lossSum / done, samplesPerSecond: rate, etaSeconds: (remaining * o.batchSize) / rate });
        };
        flush = async () => { // the device-side steps' loss and norm, in one read
          if (pending.length === 0) return;
          const steps = pending;
          pending = [];
          const all = tf.concat(steps.map((p) => p.values));
          const values = await all.data();
          tf.dispose([all, ...steps.map((p) => p.values)]);
          assertWebgpuHealthy(`training, epoch ${epoch + 1}, batches up to ${steps.at(-1)!.batch + 1}`);
          steps.forEach((p, k) => account(p.batch, values[3 * k], values[3 * k + 1]));
          progress(steps.at(-1)!.batch + 1);
        };
        trained += batch.size;
        seen += batch.size;
        if (deferred && !batch.gradients) {
          pending.push({ batch: b, values: deferredStep(variables, optimizer, batch, o.clipNorm) });
          if (pending.length >= every || b === batches - 1) await flush();
        } else {
          const { loss, norm } = await trainingStep(variables, optimizer, batch, o.clipNorm);
          account(b, loss, norm);
          progress(b + 1);
        }
        if (callbacks.shouldStop?.()) {
          interrupted = true;
          break;
        }
        await new Promise((r) => setImmediate(r)); // let an interrupt or a display update in
      }
      await flush();
      const val = await objective.validate();
      if (deferred) assertWebgpuHealthy(`validation after epoch ${epoch + 1}`);
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
        best = { epoch: epoch + 1, valLoss: val.loss, weights: await snapshot(variables) };
        stale = 0;
      } else stale++;
      await callbacks.onEpoch?.(record, improved, { epoch: epoch + 1, epochs: o.epochs, batch: batches, batches, loss: record.loss, samplesPerSecond: record.samplesPerSecond, etaSeconds: 0, last: record });
      if (callbacks.onState) {
        await callbacks.onState({
          epoch: epoch + 1, history: [...history], best, stale, plateau: plateau.getState(), rng: rng.getState(),
          netRandom: objective.randomState?.get() ?? null, variables: await snapshot(variables), optimizer: await optimizerState(optimizer), adamPowers: await adamPowers(optimizer),
        });
      }
      if (stale >= o.patience) break;
    }
  } catch (error) {
    tf.dispose(pending.map((p) => p.values));
    callbacks.onEnd?.(error instanceof InterruptedError ? 'interrupted' : 'failed', error);
    throw error;
  } finally {
    work.end();
    optimizer.dispose();
  }
  callbacks.onEnd?.(interrupted ? 'interrupted' : stale >= o.patience ? 'stopped early' : 'finished');
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

/** Adam's step and moments, as plain arrays. */
async function optimizerState(optimizer: tf.Optimizer): Promise<LoopState['optimizer']> {
  const weights = await optimizer.getWeights();
  const state = await Promise.all(weights.map(async (w) => ({ name: w.name, shape: w.tensor.shape, values: Float32Array.from(await w.tensor.data()) })));
  for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose(); // the step count is a fresh tensor; the moments are the optimizer's own
  return state;
}

/** tfjs's Adam keeps β₁ᵗ and β₂ᵗ as running products in two private variables; an exact resume needs their float32 values. */
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

async function adamPowers(optimizer: tf.Optimizer): Promise<[number, number] | null> {
  const o = optimizer as unknown as AdamInternals;
  return o.accBeta1 && o.accBeta2 ? [(await o.accBeta1.data())[0], (await o.accBeta2.data())[0]] : null;
}

async function restore(state: LoopState, variables: tf.Variable[], optimizer: tf.Optimizer, rng: Random, plateau: PlateauTracker, objective: Objective): Promise<void> {
  if (state.variables.length !== variables.length) throw new GatebookError(`the resume state holds ${state.variables.length} weights, this net has ${variables.length}: it was saved by another model`);
  variables.forEach((v, i) => assignValues(v, state.variables[i]));
  const tensors = state.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
  await optimizer.setWeights(tensors);
  for (const t of tensors) t.tensor.dispose();
  const adam = optimizer as unknown as AdamInternals;
  if (state.adamPowers && adam.accBeta1 && adam.accBeta2) {
    tf.tidy(() => {
      adam.accBeta1!.assign(tf.scalar(state.adamPowers![0]));
      adam.accBeta2!.assign(tf.scalar(state.adamPowers![1]));
    });
  }
  rng.setState(state.rng);
  plateau.setState(state.plateau);
  if (state.netRandom !== null) objective.randomState?.set(state.netRandom);
}

/** Steps between reads of the loss and gradient norm on webgpu (GATEBOOK_READ_EVERY, default 10; 1 reads every step). */
export function readEvery(): number {
  const raw = process.env.GATEBOOK_READ_EVERY;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`GATEBOOK_READ_EVERY=${raw} is not a step count: use a whole number ≥ 1 (1 reads the loss after every step)`);
  return n;
}

/**
 * One Adam step on the device without a read (webgpu): the norm, the clip factor —
 * min(1, clipNorm / norm), 0 when the loss or the norm is not finite — and the step scaled by
 * it. Returns [loss, norm, scale] as a tensor, for the loop to read with others.
 */
export function deferredStep(variables: tf.Variable[], optimizer: GatebookAdam, batch: ReturnType<Objective['batch']>, clipNorm: number): tf.Tensor {
  const taped = tf.variableGrads(batch.loss, variables);
  try {
    return tf.tidy(() => {
      const normSq = globalNormSquared(taped.grads);
      const values = clipFactor(taped.value, normSq, clipNorm);
      optimizer.applyScaled(taped.grads as Parameters<GatebookAdam["applyScaled"]>[0], { tensor: values, at: 2 });
      return values;
    });
  } finally {
    tf.dispose([taped.value, ...Object.values(taped.grads)]);
    submitWebgpuWork(); // the step's command buffer ends with the step (its bind groups repeat at the next)
  }
}

/**
 * One Adam step on the batch's gradients, clipped to `clipNorm`; skipped (and reported) when
 * non-finite. The loss and the gradient norm come back in one asynchronous read: on a GPU a
 * synchronous read is impossible in Node, and one read per step is the only wait.
 */
export async function trainingStep(variables: tf.Variable[], optimizer: tf.Optimizer, batch: ReturnType<Objective['batch']>, clipNorm: number): Promise<{ loss: number; norm: number }> {
  const computed = batch.gradients ? await batch.gradients() : null;
  const taped = computed ? null : tf.variableGrads(batch.loss, variables);
  let grads: tf.NamedTensorMap = computed
    ? Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(computed.grads[i], v.shape)]))
    : taped!.grads;
  try {
    const read = tf.tidy(() => (taped ? tf.stack([taped.value, globalNormSquared(grads)]) : globalNormSquared(grads)));
    const values = await read.data();
    read.dispose();
    const loss = computed ? computed.loss : values[0];
    const norm = Math.sqrt(values[values.length - 1]);
    if (Number.isFinite(loss) && Number.isFinite(norm)) {
      grads = clipToNorm(grads, clipNorm, norm);
      tf.tidy(() => optimizer.applyGradients(grads));
    }
    return { loss, norm };
  } finally {
    tf.dispose(Object.values(grads));
    taped?.value.dispose();
  }
}
