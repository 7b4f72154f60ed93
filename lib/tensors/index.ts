export { fitScaler, applyScaler, ScalerState } from './scaler';
export { windowEnds, makeBatch, batches, type WindowSource, type Batch } from './windows';
export { windowSource } from './frameSource';
export { classWeights, shuffled, balanced } from './sampling';
export { prepareData, prepareForPrediction, type PrepareOptions, type PreparedData } from './prepare';
export { trainTailHoldout, tailStart } from './holdout';
export { augmentTrainingSet, augmentWindow, AugmentOptions, AUGMENT_METHODS, type AugmentReport } from './augment';
