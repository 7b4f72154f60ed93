export { type Classifier, type PreparedData, NotFittedError } from './classifier';
export { NeuralModel, type FittedState } from './neural';
export { MajorityModel, PersistenceModel } from './naive';
export {
  LstmModel, TcnModel, TransformerModel, LogisticModel, lstm, bilstm, tcn, transformer, logistic, majority, persistence, minirocket,
  MODEL_FAMILIES, createModel, loadModel, type ModelFamily,
} from './families';
export { LstmParams } from './lstm';
export { TcnParams } from './tcn';
export { TransformerParams } from './transformer';
export { LogisticParams } from './logistic';
export { type Net, WeightFactory } from './net';
export { fitMiniRocket, transformMiniRocket, fitDilations, quantiles as miniRocketQuantiles, KERNELS as MINIROCKET_KERNELS, type MiniRocketState } from './minirocket';
export { MiniRocketModel, MiniRocketParams } from './minirocketModel';
export { fitRidgeCV, fitLogisticHead, predictLinear, type LinearHead } from './linear';
export { pretrainEncoder, encodeWindows, makeMask, PretrainOptions, type PretrainResult } from './pretrain';
