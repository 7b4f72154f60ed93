import { InputError } from '../util/errors';
import type { Classifier } from './classifier';
import { readModelDir } from './io';
import { buildLogistic, LogisticParams } from './logistic';
import { buildLstm, LstmParams } from './lstm';
import { MajorityModel, PersistenceModel } from './naive';
import { NeuralModel, type FittedState } from './neural';
import { MiniRocketModel, type MiniRocketParams } from './minirocketModel';
import { buildTcn, TcnParams } from './tcn';
import { buildTransformer, TransformerParams } from './transformer';

export class LstmModel extends NeuralModel<LstmParams> {
  constructor(params: Partial<LstmParams> = {}) {
    super('lstm', LstmParams, buildLstm, params);
  }
}

export class TcnModel extends NeuralModel<TcnParams> {
  constructor(params: Partial<TcnParams> = {}) {
    super('tcn', TcnParams, buildTcn, params);
  }
}

export class TransformerModel extends NeuralModel<TransformerParams> {
  constructor(params: Partial<TransformerParams> = {}) {
    super('transformer', TransformerParams, buildTransformer, params);
  }
}

export class LogisticModel extends NeuralModel<LogisticParams> {
  constructor(params: Partial<LogisticParams> = {}) {
    super('logistic', LogisticParams, buildLogistic, params);
  }
}

export const lstm = (params: Partial<LstmParams> = {}) => new LstmModel(params);
export const bilstm = (params: Partial<LstmParams> = {}) => new LstmModel({ layers: 1, ...params, bidirectional: true });
export const tcn = (params: Partial<TcnParams> = {}) => new TcnModel(params);
export const transformer = (params: Partial<TransformerParams> = {}) => new TransformerModel(params);
export const logistic = (params: Partial<LogisticParams> = {}) => new LogisticModel(params);
export const majority = () => new MajorityModel();
export const persistence = () => new PersistenceModel();
export const minirocket = (params: Partial<MiniRocketParams> = {}) => new MiniRocketModel(params);

/** Every family by the name configs and the CLI use. */
export const MODEL_FAMILIES = { lstm, bilstm, tcn, transformer, logistic, majority, persistence, minirocket } as const;
export type ModelFamily = keyof typeof MODEL_FAMILIES;

export function createModel(family: string, params: Record<string, unknown> = {}): Classifier {
  const make = (MODEL_FAMILIES as Record<string, (p: Record<string, unknown>) => Classifier>)[family];
  if (!make) throw new InputError(`invalid model: ${family} (expected one of ${Object.keys(MODEL_FAMILIES).join(', ')})`);
  return make(params);
}

/** Load a model saved with `save(dir)`: the family from model.json, weights checked by sha256. */
export function loadModel(dir: string): Classifier {
  const { meta, weights } = readModelDir(dir);
  if (meta.family === 'majority') return new MajorityModel().restore(meta.state as { rate: number });
  if (meta.family === 'persistence') return new PersistenceModel().restore();
  if (meta.family === 'minirocket') return new MiniRocketModel(meta.params).restore(meta);
  const model = createModel(meta.family, meta.params) as NeuralModel<Record<string, unknown>>;
  const state: FittedState = {
    features: (meta.features as string[]).length,
    window: meta.window as number,
    featureNames: meta.features as string[],
    scaler: meta.scaler as FittedState['scaler'],
    seed: meta.seed as number,
    training: (meta.training as FittedState['training']) ?? null,
  };
  return model.restore(state, weights);
}
