import { modelFiles } from '../../models/io';
import { join } from 'node:path';
import { loadSplit } from '../../split/splitFile';
import { frameSha256 } from '../../data/dataset';
import { prepareData } from '../../tensors/prepare';
import { lstm } from '../../models/families';
import { constantAccuracy, modelFeatures, shuffledLabelControl, trainModelRun } from '../../train/experiment';
import { plausible } from './signoff';
import type { TrainCallbacks } from '../../train/loop';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

const SMOKE_WINDOWS = 256;

/**
 * Gate smoke: the training loop works at all. A tiny LSTM trains on a small slice of the
 * training windows and is judged on that same slice: its loss must fall (loss_ratio =
 * final / initial).
 */
export async function smokePhase(ctx: RunContext): Promise<PhaseOutput> {
  const frame = ctx.featureFrame();
  const split = loadSplit(ctx.artifact('split.json'), frameSha256(frame));
  const data = prepareData(frame, split, { window: ctx.config.split.window, scaler: ctx.config.model.scaler, featureNames: modelFeatures(ctx.config) });
  const slice = data.train.subarray(0, SMOKE_WINDOWS);
  const small = { ...data, train: slice, val: slice };
  const model = lstm({ layers: 1, units: 16, dropout: 0 });
  const started = performance.now();
  await model.fit(small, { epochs: 20, batchSize: 64, learningRate: 0.01, patience: 20, restoreBest: false, seed: ctx.config.seed, classWeighted: false });
  const history = model.training!.history;
  const initial = history[0].valLoss;
  model.dispose();
  return {
    metrics: {
      initial_loss: initial,
      final_loss: history.at(-1)!.valLoss,
      loss_ratio: history.at(-1)!.valLoss / initial,
      windows: slice.length,
      seconds: (performance.now() - started) / 1000,
    },
    artifacts: [],
  };
}

/**
 * Gate baseline: the configured model with the seed's defaults (LR 1e-3, 20 epochs, early
 * stopping), measured on validation against the majority and persistence baselines, with
 * the honesty checks: a label-shuffle control and the plausibility ceiling.
 */
export async function baselinePhase(ctx: RunContext): Promise<PhaseOutput> {
  const frame = ctx.featureFrame();
  const split = loadSplit(ctx.artifact('split.json'), frameSha256(frame));
  const dir = ctx.artifact(join('models', ctx.run, 'baseline'));
  const result = await trainModelRun({ frame, split, config: ctx.config, dir, callbacks: epochLog(ctx) });
  result.model.dispose();
  const m = result.metrics;
  const accuracies = [m.val_accuracy];
  for (let k = 1; k < ctx.config.seeds; k++) {
    ctx.log(`    seed variance: seed ${ctx.config.seed + k} (${k + 1}/${ctx.config.seeds})`);
    const again = await trainModelRun({ frame, split, config: { ...ctx.config, seed: ctx.config.seed + k }, dir: join(dir, `seed-${k + 1}`) });
    again.model.dispose();
    accuracies.push(again.metrics.val_accuracy);
  }
  const seedStats = meanLowerBound(accuracies);
  ctx.log('    label-shuffle control: the same training on shuffled labels');
  const control = await shuffledLabelControl({ frame, split, config: ctx.config, dir }, ctx.config.seed + 1);
  return {
    metrics: {
      ...m,
      val_accuracy_seed_mean: seedStats.mean,
      val_accuracy_seed_lo: seedStats.lo,
      seeds: accuracies.length,
      shuffle_val_accuracy: control.accuracy,
      shuffle_val_accuracy_lo: control.lo,
      constant_val_accuracy: constantAccuracy(result.data),
      plausible: plausible(m.val_accuracy, m.val_roc_auc, ctx.config.gates.finalization) ? 1 : 0,
    },
    artifacts: modelFiles(dir),
    note: `model ${ctx.config.model.family} saved in ${dir}`,
  };
}

/** 97.5 % quantiles of Student's t for 1 … 19 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093];

/** Mean of per-seed values and the lower bound of its 95 % t-interval (the value itself for one seed). */
export function meanLowerBound(values: number[]): { mean: number; lo: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, lo: mean - (T975[n - 2] * sd) / Math.sqrt(n) };
}

/** One log line per epoch: the pipeline's progress. */
export function epochLog(ctx: RunContext): TrainCallbacks {
  return {
    onEpoch: (r, improved) => ctx.log(`    epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val loss ${r.valLoss.toFixed(4)}, val acc ${r.valAccuracy.toFixed(4)}, ` +
      `lr ${r.learningRate.toExponential(1)}, ${Math.round(r.samplesPerSecond)} samples/s${improved ? ' *' : ''}`),
  };
}
