import { join } from 'node:path';
import { z } from 'zod';
import { LstmModel, modelFiles } from '../../models';
import type { PreparedData } from '../../tensors/prepare';
import { defineGate } from '../gate';
import { fitOnTrainTail, honestyChecks, judgeModel, marginOverMajority } from '../judgeModel';

/** Gate simple_lstm (the seed's gate 6): a unidirectional LSTM trained from scratch, judged like the others (a control: it may lose). */
export const simpleLstmGate = defineGate({
  id: 'simple_lstm', phase: 'gated', title: 'unidirectional LSTM baseline recorded, no leak', requires: ['baseline'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
  thresholds: z.object({ min_margin_over_majority: marginOverMajority }).strict(),
  checks: honestyChecks('simple_lstm', { control: true }),
  async run(ctx) {
    const data = ctx.modelData();
    const params = { ...ctx.config.workflow.simpleLstm, bidirectional: false };
    // epochs chosen on a purged tail of the training windows; validation only judges
    const train = async (d: PreparedData, checkpointDir?: string) =>
      new LstmModel(params).fit(fitOnTrainTail(ctx, d), { ...ctx.config.train, seed: ctx.config.seed, callbacks: checkpointDir ? ctx.trainingCallbacks('simple_lstm') : undefined, checkpointDir });
    const dir = ctx.artifact(join('models', ctx.run, 'simple_lstm'));
    const model = await train(data, dir);
    model.save(dir, { epoch: model.training?.bestEpoch, config: ctx.config });
    const metrics = await judgeModel(ctx, data, await model.predictProba(data.source, data.val), (shuffled) => train(shuffled));
    const training = model.training!;
    model.dispose();
    return {
      metrics: { ...metrics, val_loss: training.bestValLoss, epochs: training.history.length, best_epoch: training.bestEpoch, samples_per_second: Math.round(training.samplesPerSecond) },
      artifacts: modelFiles(dir),
      note: `LSTM ${params.layers}×${params.units} saved in ${dir}`,
    };
  },
});
