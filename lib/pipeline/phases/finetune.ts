import { join } from 'node:path';
import type { PreparedData } from '../../models/classifier';
import { readModelDir, modelFiles } from '../../models/io';
import { finetuneFromEncoder } from '../../train/finetune';

import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';
import { fitOnTrainTail, judgedMetrics } from './modelGate';
import { epochLog } from './training';

/**
 * Gate finetune (the seed's gate 4): a BiLSTM classifier started from the pretrained
 * encoder, fine-tuned in two phases; its validation F1 must beat the baseline's.
 */
export async function finetunePhase(ctx: RunContext): Promise<PhaseOutput> {
  const data = ctx.modelData();
  const out = await trainFromEncoder(ctx, data, 'finetune');
  return { ...out, note: `fine-tuned from ${ctx.modelDirOfGate('pretrain')}, saved in ${out.dir}` };
}

/** Fine-tune from the pretrain gate's encoder on `data`, save under models/<run>/<gate>, judge (with the shuffle control). */
export async function trainFromEncoder(ctx: RunContext, data: PreparedData, gate: string, real: PreparedData = data): Promise<PhaseOutput & { dir: string }> {
  const encoder = readModelDir(ctx.modelDirOfGate('pretrain')).weights;
  const { pretrain, finetune } = ctx.config.workflow;
  const dir = ctx.artifact(join('models', ctx.run, gate));
  const run = { encoder, pretrain, finetune, train: ctx.config.train, seed: ctx.config.seed };
  // epochs are chosen on a purged tail of the training windows; validation only judges
  const fit = (d: PreparedData) => fitOnTrainTail(ctx, d, real.source.rows);
  const model = await finetuneFromEncoder(fit(data), { ...run, callbacks: epochLog(ctx), checkpointDir: dir, log: ctx.log });
  model.save(dir, { epoch: model.training?.bestEpoch, config: ctx.config });
  const metrics = await judgedMetrics(ctx, data, model.predictProba(data.source, data.val), (shuffled) => finetuneFromEncoder(fit(shuffled), run), real);
  const training = model.training!;
  model.dispose();
  return {
    metrics: { ...metrics, val_loss: training.bestValLoss, epochs: training.history.length, best_epoch: training.bestEpoch, samples_per_second: Math.round(training.samplesPerSecond) },
    artifacts: modelFiles(dir),
    dir,
  };
}
