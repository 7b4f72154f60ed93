import { z } from 'zod';
import type { PreparedData } from '../tensors/prepare';
import type { TrainCallbacks } from '../train/loop';
import type { TrainOptionsInput } from '../train/options';
import { LstmModel } from './lstm';
import { encoderParams, type PretrainOptions } from './pretrain';

/** Two-phase fine-tuning from a pretrained encoder (`workflow.finetune` in a config). */
export const FinetuneOptions = z.object({
  /** phase 1: the pretrained encoder frozen, the head trained for this many epochs */
  headEpochs: z.number().int().positive().default(3),
  headLearningRate: z.number().positive().default(3e-3),
  /** phase 2: every layer, at the learning rate × `lrFactor` */
  epochs: z.number().int().positive().default(10),
  learningRate: z.number().positive().default(1e-3),
  lrFactor: z.number().gt(0).max(1).default(0.3),
  patience: z.number().int().positive().default(4),
  dropout: z.number().min(0).lt(1).default(0.2),
}).strict();
export type FinetuneOptions = z.infer<typeof FinetuneOptions>;

export interface FinetuneRun {
  encoder: Map<string, Float32Array>;
  pretrain: Pick<PretrainOptions, 'units' | 'layers'>;
  finetune: FinetuneOptions;
  /** the config's training options (batch size, class weights, clipping …) */
  train?: TrainOptionsInput;
  seed: number;
  callbacks?: TrainCallbacks;
  checkpointDir?: string;
  log?: (line: string) => void;
}

/**
 * Two-phase fine-tuning of a BiLSTM classifier from a pretrained encoder: phase 1 trains
 * the head with the encoder frozen; phase 2 trains every layer at the learning rate ×
 * `lrFactor`, early-stopped on validation, starting from phase 1's weights.
 */
export async function finetuneFromEncoder(data: PreparedData, o: FinetuneRun): Promise<LstmModel> {
  const f = o.finetune;
  const model = new LstmModel({ ...encoderParams(o.pretrain, f.dropout) });
  o.log?.(`    phase 1: encoder frozen, head trained for ${f.headEpochs} epoch(s) at LR ${f.headLearningRate}`);
  await model.fit(data, {
    ...o.train, seed: o.seed, init: o.encoder, trainable: (name) => !name.startsWith('lstm'),
    epochs: f.headEpochs, learningRate: f.headLearningRate, patience: f.headEpochs, callbacks: o.callbacks,
  });
  const learningRate = f.learningRate * f.lrFactor;
  o.log?.(`    phase 2: all layers for up to ${f.epochs} epoch(s) at LR ${learningRate}`);
  await model.fit(data, {
    ...o.train, seed: o.seed + 1, init: model.weights(), epochs: f.epochs, learningRate, patience: f.patience,
    callbacks: o.callbacks, checkpointDir: o.checkpointDir,
  });
  return model;
}
