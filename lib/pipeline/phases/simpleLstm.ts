import { modelFiles } from '../../models/io';
import { join } from 'node:path';
import { LstmModel } from '../../models/families';
import type { PreparedData } from '../../models/classifier';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';
import { fitOnTrainTail, judgedMetrics } from './modelGate';
import { epochLog } from './training';

/** Gate simple_lstm (the seed's gate 6): a unidirectional LSTM trained from scratch, judged like the others. */
export async function simpleLstmPhase(ctx: RunContext): Promise<PhaseOutput> {
  const data = ctx.modelData();
  const params = { ...ctx.config.workflow.simpleLstm, bidirectional: false };
  // epochs chosen on a purged tail of the training windows; validation only judges
  const train = async (d: PreparedData, checkpointDir?: string) =>
    new LstmModel(params).fit(fitOnTrainTail(ctx, d), { ...ctx.config.train, seed: ctx.config.seed, callbacks: checkpointDir ? epochLog(ctx) : undefined, checkpointDir });
  const dir = ctx.artifact(join('models', ctx.run, 'simple_lstm'));
  const model = await train(data, dir);
  model.save(dir, { epoch: model.training?.bestEpoch, config: ctx.config });
  const metrics = await judgedMetrics(ctx, data, model.predictProba(data.source, data.val), (shuffled) => train(shuffled));
  const training = model.training!;
  model.dispose();
  return {
    metrics: { ...metrics, val_loss: training.bestValLoss, epochs: training.history.length, best_epoch: training.bestEpoch, samples_per_second: Math.round(training.samplesPerSecond) },
    artifacts: modelFiles(dir),
    note: `LSTM ${params.layers}×${params.units} saved in ${dir}`,
  };
}
