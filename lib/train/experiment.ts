import type pl from 'nodejs-polars';
import type { ExperimentConfig } from '../experiments/config';
import { createModel } from '../models/families';
import type { Classifier, PreparedData } from '../models/classifier';
import { MajorityModel, PersistenceModel } from '../models/naive';
import type { NeuralModel } from '../models/neural';
import type { SplitFile } from '../split/splitFile';
import { prepareData } from '../tensors/prepare';
import { numericFeatureNames, PLANTED_LEAK, stationaryFeatureNames } from '../features/registry';
import { Random } from '../util/random';
import { bootstrapCI } from '../eval/bootstrap';
import { accuracy, f1, rocAuc } from '../eval/metrics';
import type { TrainCallbacks } from './loop';
import type { TrainOptionsInput } from './options';

export interface TrainRunOptions {
  frame: pl.DataFrame;
  split: SplitFile;
  config: ExperimentConfig;
  /** Where the model goes: <artifacts>/models/<run>/ */
  dir: string;
  family?: string;
  params?: Record<string, unknown>;
  train?: TrainOptionsInput;
  callbacks?: TrainCallbacks;
  resume?: boolean;
}

export interface TrainRunResult {
  model: Classifier;
  data: PreparedData;
  dir: string;
  metrics: Record<string, number>;
}

/**
 * Train the configured model on the split's training windows, keep the best checkpoint in
 * `dir`, and measure it on validation next to the naive baselines (majority class and
 * persistence) on the same windows. The test part is not touched.
 */
export async function trainModelRun(o: TrainRunOptions): Promise<TrainRunResult> {
  const { config } = o;
  const data = prepareModelData(o.frame, o.split, config);
  const model = createModel(o.family ?? config.model.family, o.params ?? config.model.params) as NeuralModel<Record<string, unknown>>;
  const train = { ...config.train, seed: config.seed, ...o.train };
  await model.fit(data, { ...train, callbacks: o.callbacks, checkpointDir: o.dir, resume: o.resume });
  model.save(o.dir, { epoch: model.training?.bestEpoch, config });
  const training = model.training!;
  const metrics = {
    val_accuracy: accuracyOf(model, data),
    val_f1: f1(valLabels(data), model.predictProba(data.source, data.val)),
    val_roc_auc: rocAuc(Array.from(data.val, (e) => data.source.labels[e]), model.predictProba(data.source, data.val)),
    val_loss: training.bestValLoss,
    majority_val_accuracy: accuracyOf(await new MajorityModel().fit(data), data),
    persistence_val_accuracy: accuracyOf(await new PersistenceModel().fit(), data),
    samples_per_second: Math.round(training.samplesPerSecond),
    epochs: training.history.length,
    best_epoch: training.bestEpoch,
    train_windows: data.train.length,
    val_windows: data.val.length,
  };
  return { model, data, dir: o.dir, metrics };
}

/** The windows the config's model trains on: its window, scaler, stride and features. */
export function prepareModelData(frame: pl.DataFrame, split: SplitFile, config: ExperimentConfig): PreparedData {
  return prepareData(frame, split, {
    window: config.split.window, scaler: config.model.scaler, trainStride: config.model.trainStride, featureNames: modelFeatures(config),
  });
}

/** The feature columns the config's model uses. */
export function modelFeatures(config: ExperimentConfig): string[] {
  const f = config.model.features;
  const names = f === 'stationary' ? stationaryFeatureNames() : f === 'all' ? numericFeatureNames() : f;
  return config.features.plantLeak && !names.includes(PLANTED_LEAK.name) ? [...names, PLANTED_LEAK.name] : names;
}

/** Share of validation windows whose label the model's probability (> 0.5) gets right. */
export function accuracyOf(model: Classifier, data: PreparedData, ends = data.val): number {
  const p = model.predictProba(data.source, ends, data.lastMove);
  let hits = 0;
  for (let i = 0; i < ends.length; i++) hits += (p[i] > 0.5 ? 1 : 0) === data.source.labels[ends[i]] ? 1 : 0;
  return hits / Math.max(1, ends.length);
}

/**
 * Label-shuffle control: the same model and training on training labels shuffled among the
 * training windows (seeded). Nothing but the labels can teach it, so on validation it must
 * land at chance; if it beats the majority class, something else carries the labels (a leak).
 */
export async function shuffledLabelControl(o: TrainRunOptions, seed: number): Promise<{ accuracy: number; lo: number; hi: number }> {
  const data = prepareModelData(o.frame, o.split, o.config);
  return labelControl(data, seed, async (shuffled) => {
    const model = createModel(o.family ?? o.config.model.family, o.params ?? o.config.model.params) as NeuralModel<Record<string, unknown>>;
    await model.fit(shuffled, { ...o.config.train, seed: o.config.seed, ...o.train });
    return model;
  });
}

/**
 * The label-shuffle control for any way of training: `train` gets the data with the
 * training windows' labels shuffled among them (validation labels untouched) and returns
 * the fitted model; its validation accuracy with a bootstrap 95 % interval comes back.
 */
export async function labelControl(data: PreparedData, seed: number, train: (shuffled: PreparedData) => Promise<Classifier>): Promise<{ accuracy: number; lo: number; hi: number }> {
  const labels = Float32Array.from(data.source.labels);
  const shuffledLabels = new Random(seed).shuffle(Array.from(data.train, (e) => labels[e]));
  data.train.forEach((e, i) => (labels[e] = shuffledLabels[i]));
  // (a trainer that early-stops on a tail of the training windows stops on shuffled labels too)
  const model = await train({ ...data, source: { ...data.source, labels } });
  const p = model.predictProba(data.source, data.val, data.lastMove);
  model.dispose();
  // a control that learned nothing still predicts in long runs (its near-constant output drifts with the regime) and
  // validation labels come in runs too: resample in ~25 contiguous blocks (at least a window), or its interval is too
  // narrow and chance looks like a leak (measured: an augmented model's control at 0.577 vs 0.551 with i.i.d. resampling)
  const ci = bootstrapCI(accuracy, valLabels(data), p, { seed, samples: 500, block: Math.max(data.window, Math.ceil(data.val.length / 25)) });
  return { accuracy: ci.value, lo: ci.lo, hi: ci.hi };
}

/** The accuracy of the best constant prediction on validation: max(rate, 1 − rate). What a model that learned nothing can reach. */
export function constantAccuracy(data: PreparedData): number {
  const y = valLabels(data);
  const rate = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length);
  return Math.max(rate, 1 - rate);
}

/** The validation windows' labels. */
export function valLabels(data: PreparedData): number[] {
  return Array.from(data.val, (e) => data.source.labels[e]);
}
