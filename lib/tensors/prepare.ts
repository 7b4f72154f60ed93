import pl from 'nodejs-polars';
import type { PreparedData } from '../models/classifier';
import type { SplitFile } from '../split/splitFile';
import { numericFeatureNames } from '../features/registry';
import { applyScaler, fitScaler, type ScalerState } from './scaler';
import { windowEnds, windowSource } from './windows';

export interface PrepareOptions {
  window: number;
  featureNames?: string[];
  scaler?: ScalerState['kind'];
  /** Use every k-th window of the training part (a quick run on a slow machine). */
  trainStride?: number;
}

/**
 * Windows for a model from a feature frame and its split: the numeric features as a
 * matrix, scaled by a scaler fitted on the training rows only, and the window-end rows of
 * each part (windows never cross a part's start).
 */
export function prepareData(frame: pl.DataFrame, split: Pick<SplitFile, 'train' | 'val' | 'test'>, options: PrepareOptions): PreparedData {
  const featureNames = options.featureNames ?? numericFeatureNames();
  const source = windowSource(frame, featureNames);
  const scaler = fitScaler(source.matrix, source.features, split.train, options.scaler ?? 'standard');
  applyScaler(scaler, source.matrix);
  const close = frame.getColumn('close').cast(pl.Float64).toTypedArray() as Float64Array;
  const lastMove = Float32Array.from(close, (c, i) => (i > 0 && c > close[i - 1] ? 1 : 0));
  return {
    source,
    window: options.window,
    featureNames,
    scaler,
    train: windowEnds(split.train, options.window, options.trainStride ?? 1),
    val: windowEnds(split.val, options.window),
    test: windowEnds(split.test, options.window),
    lastMove,
  };
}

/** Scale a new frame with a saved scaler (prediction on data the model has not seen). */
export function prepareForPrediction(frame: pl.DataFrame, featureNames: string[], scaler: ScalerState, window: number) {
  const source = windowSource(frame, featureNames);
  applyScaler(scaler, source.matrix);
  return { source, ends: windowEnds({ start: 0, end: frame.height }, window) };
}
