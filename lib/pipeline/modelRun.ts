import type pl from 'nodejs-polars';
import { accuracyOf, valLabels } from '../eval/evaluate';
import { f1, rocAuc } from '../eval/metrics';
import { numericFeatureNames, PLANTED_LEAK, stationaryFeatureNames } from '../features/registry';
import { createModel, MajorityModel, PersistenceModel, type Classifier } from '../models';
import type { SplitFile } from '../split/splitFile';
import { prepareData, type PreparedData } from '../tensors/prepare';
import type { TrainCallbacks } from '../train/loop';
import type { TrainOptionsInput } from '../train/options';
import type { ExperimentConfig } from './config';

export interface TrainRunOptions {
  frame: pl.DataFrame;
  split: SplitFile;
  config: ExperimentConfig;
  /** Where the model goes: <artifacts>/models/<run>/<gate> */
  dir: string;
  family?: string;
  params?: Record<string, unknown>;
  train?: TrainOptionsInput;
  callbacks?: TrainCallbacks;
  resume?: boolean;
  /** the columns the model reads (default: the config's model features) */
  featureNames?: string[];
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
  const data = prepareModelData(o.frame, o.split, config, o.featureNames);
  const model = createModel(o.family ?? config.model.family, o.params ?? config.model.params);
  const train = { ...config.train, seed: config.seed, ...o.train };
  await model.fit(data, { ...train, callbacks: o.callbacks, checkpointDir: o.dir, resume: o.resume });
  const training = model.training!;
  model.save(o.dir, { epoch: training.bestEpoch, config });
  const p = await model.predictProba(data.source, data.val, data.lastMove);
  const metrics = {
    val_accuracy: await accuracyOf(model, data),
    val_f1: f1(valLabels(data), p),
    val_roc_auc: rocAuc(valLabels(data), p),
    val_loss: training.bestValLoss,
    majority_val_accuracy: await accuracyOf(await new MajorityModel().fit(data), data),
    persistence_val_accuracy: await accuracyOf(await new PersistenceModel().fit(data), data),
    samples_per_second: Math.round(training.samplesPerSecond),
    epochs: training.history.length,
    best_epoch: training.bestEpoch,
    train_windows: data.train.length,
    val_windows: data.val.length,
  };
  return { model, data, dir: o.dir, metrics };
}

/** The windows the config's model trains on: its window, scaler, stride and features. */
export function prepareModelData(frame: pl.DataFrame, split: SplitFile, config: ExperimentConfig, featureNames = modelFeatures(config)): PreparedData {
  return prepareData(frame, split, {
    window: config.split.window, scaler: config.model.scaler, trainStride: config.model.trainStride, featureNames,
  });
}

/** The feature columns the config's model uses. */
export function modelFeatures(config: ExperimentConfig): string[] {
  const f = config.model.features;
  const names = f === 'stationary' ? stationaryFeatureNames() : f === 'all' ? numericFeatureNames() : f;
  return config.features.plantLeak && !names.includes(PLANTED_LEAK.name) ? [...names, PLANTED_LEAK.name] : names;
}

/** One log line per epoch: the pipeline's progress. */
export function epochLog(log: (line: string) => void): TrainCallbacks {
  return {
    onEpoch: (r, improved) => log(`    epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val loss ${r.valLoss.toFixed(4)}, val acc ${r.valAccuracy.toFixed(4)}, ` +
      `lr ${r.learningRate.toExponential(1)}, ${Math.round(r.samplesPerSecond)} samples/s${improved ? ' *' : ''}`),
  };
}
