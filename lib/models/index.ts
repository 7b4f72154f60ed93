/*
 * The models area: the Classifier contract, the family registry, and every family (each
 * registers itself when its file loads; importing this index loads them all — code outside
 * lib/models imports from here, never a family file, so the registry is always complete).
 */
export { NotFittedError, inputsOf, type Classifier, type ModelInputs, type FitOptions } from './classifier';
export { registerFamily, familyNames, createModel, loadModel, type FamilyEntry } from './registry';
export { readModelDir, saveModel, modelFiles, savedInputs, MODEL_FORMAT, type SavedModel, type WeightSet } from './io';
export { NeuralModel, networkFamily, type NetBuilder } from './neural';
export { WeightFactory, dense3d, dropout, layerNorm } from './net';
export { LstmModel, LstmParams, lstm, bilstm, lstmEncoder, type LstmEncoder } from './lstm';
export { TcnModel, TcnParams, tcn } from './tcn';
export { TransformerModel, TransformerParams, transformer } from './transformer';
export { LogisticModel, LogisticParams, logistic } from './logistic';
export { MajorityModel, PersistenceModel, majority, persistence } from './naive';
export { MiniRocketModel, MiniRocketParams, MINIROCKET_MIN_WINDOW, minirocket } from './minirocketModel';
export { fitMiniRocket, transformMiniRocket, fitDilations, quantiles as miniRocketQuantiles, KERNELS as MINIROCKET_KERNELS, type MiniRocketState } from './minirocket';
export { fitRidgeCV, fitLogisticHead, predictLinear, DEFAULT_ALPHAS, type LinearHead } from './linear';
export { pretrainEncoder, encodeWindows, encoderParams, makeMask, PretrainOptions, type PretrainResult } from './pretrain';
export { finetuneFromEncoder, FinetuneOptions, type FinetuneRun } from './finetune';
