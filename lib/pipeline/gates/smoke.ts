import { z } from 'zod';
import { lstm } from '../../models';
import { prepareData } from '../../tensors/prepare';
import { defineGate } from '../gate';
import { modelFeatures } from '../modelRun';

const SMOKE_WINDOWS = 256;

/**
 * Gate smoke: the training loop works at all. A tiny LSTM trains on a small slice of the
 * training windows and is judged on that same slice: its loss must fall (loss_ratio =
 * final / initial).
 */
export const smokeGate = defineGate({
  id: 'smoke', phase: 'baseline', title: "a tiny model's loss falls on a small slice", requires: ['split'], runbook: 'runbooks/02_baseline.md',
  keyMetric: 'loss_ratio',
  thresholds: z.object({
    max_loss_ratio: z.number().positive().default(0.9),
  }).strict(),
  checks: [{ metric: 'loss_ratio', op: '<=', threshold: 'max_loss_ratio' }],
  async run(ctx) {
    const data = prepareData(ctx.featureFrame(), ctx.split(), { window: ctx.config.split.window, scaler: ctx.config.model.scaler, featureNames: modelFeatures(ctx.config) });
    const slice = data.train.subarray(0, SMOKE_WINDOWS);
    const model = lstm({ layers: 1, units: 16, dropout: 0 });
    const started = performance.now();
    await model.fit({ ...data, train: slice, val: slice }, { epochs: 20, batchSize: 64, learningRate: 0.01, patience: 20, restoreBest: false, seed: ctx.config.seed, classWeighted: false });
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
  },
});
