import type { FinetuneOptions, PretrainOptions } from '../experiments/workflow';
import { LstmModel } from '../models/families';
import type { PreparedData } from '../models/classifier';
import { encoderParams } from '../models/pretrain';
import type { TrainCallbacks } from './loop';
import type { TrainOptionsInput } from './options';

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
