export { TrainOptions, Schedule, type TrainOptionsInput } from './options';
export { trainNetwork, evaluateLoss, TrainingDivergedError, type EpochRecord, type TrainResult, type TrainProgress, type TrainCallbacks } from './loop';
export { learningRateAt, PlateauTracker } from './schedule';
export { weightedBce, clipByGlobalNorm } from './loss';
export { trainModelRun, accuracyOf, type TrainRunOptions, type TrainRunResult } from './experiment';
export { notebookProgress } from './notebookProgress';
export { finetuneFromEncoder } from './finetune';
export { labelControl } from './experiment';
