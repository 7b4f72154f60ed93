import { join } from 'node:path';
import { finetuneFromEncoder, modelFiles, readModelDir } from '../models';
import type { PreparedData } from '../tensors/prepare';
import type { RunContext } from './context';
import type { PhaseOutput } from './gate';
import { fitOnTrainTail, judgeModel } from './judgeModel';

/**
 * A BiLSTM fine-tuned from the pretrain gate's encoder on `data` (the finetune gate's, or
 * the augment gate's with augmented windows), saved under models/<run>/<gate> and judged
 * with the shuffle control. Epochs are chosen on a purged tail of the training windows.
 */
export async function trainFromEncoder(ctx: RunContext, data: PreparedData, gate: string, real: PreparedData = data): Promise<PhaseOutput & { dir: string }> {
  const encoder = readModelDir(ctx.modelDirOfGate('pretrain')).weights;
  const { pretrain, finetune } = ctx.config.workflow;
  const dir = ctx.artifact(join('models', ctx.run, gate));
  const run = { encoder, pretrain, finetune, train: ctx.config.train, seed: ctx.config.seed };
  const fit = (d: PreparedData) => fitOnTrainTail(ctx, d, real.source.rows);
  const model = await finetuneFromEncoder(fit(data), { ...run, callbacks: ctx.trainingCallbacks(gate), checkpointDir: dir, log: ctx.log });
  model.save(dir, { epoch: model.training?.bestEpoch, config: ctx.config });
  const metrics = await judgeModel(ctx, data, await model.predictProba(data.source, data.val), (shuffled) => finetuneFromEncoder(fit(shuffled), run), real);
  const training = model.training!;
  model.dispose();
  return {
    metrics: { ...metrics, val_loss: training.bestValLoss, epochs: training.history.length, best_epoch: training.bestEpoch, samples_per_second: Math.round(training.samplesPerSecond) },
    artifacts: modelFiles(dir),
    dir,
  };
}
