export { TrainOptions, Schedule, type TrainOptionsInput } from './options';
export { trainLoop, trainingStep, deferredStep, readEvery, TrainingDivergedError, type Objective, type EpochRecord, type TrainResult, type TrainProgress, type TrainCallbacks } from './loop';
export { trainNetwork, classificationObjective, evaluateLoss } from './classification';
export { learningRateAt, PlateauTracker } from './schedule';
export { weightedBce, clipByGlobalNorm } from './loss';
export { assignValues, snapshot } from './weights';
export { type Net } from './net';
export { resolveWorkers, TrainingWorkerError, liveReplicas } from './replicas';
export { DataParallel, shardsOf, MIN_SHARD_ROWS } from './dataParallel';
