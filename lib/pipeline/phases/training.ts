import { join } from 'node:path';
import { loadSplit } from '../../split/splitFile';
import { frameSha256 } from '../../data/dataset';
import { prepareData } from '../../tensors/prepare';
import { lstm } from '../../models/families';
import { modelFeatures, shuffledLabelControl, trainModelRun } from '../../train/experiment';
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
  ctx.log('    label-shuffle control: the same training on shuffled labels');
  const control = await shuffledLabelControl({ frame, split, config: ctx.config, dir }, ctx.config.seed + 1);
  return {
    metrics: {
      ...m,
      shuffle_val_accuracy: control.accuracy,
      shuffle_val_accuracy_lo: control.lo,
      plausible: plausible(m.val_accuracy, m.val_roc_auc, ctx.config.gates.finalization) ? 1 : 0,
    },
    artifacts: ['model.json', 'weights.bin', 'history.json'].map((f) => join(dir, f)),
    note: `model ${ctx.config.model.family} saved in ${dir}`,
  };
}

/** One log line per epoch: the pipeline's progress. */
export function epochLog(ctx: RunContext): TrainCallbacks {
  return {
    onEpoch: (r, improved) => ctx.log(`    epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val loss ${r.valLoss.toFixed(4)}, val acc ${r.valAccuracy.toFixed(4)}, ` +
      `lr ${r.learningRate.toExponential(1)}, ${Math.round(r.samplesPerSecond)} samples/s${improved ? ' *' : ''}`),
  };
}
