import pl from 'nodejs-polars';
import type { SplitFile } from '../split/splitFile';
import { numericFeatureNames } from '../features/registry';
import { applyScaler, fitScaler, type ScalerState } from './scaler';
import { windowSource } from './frameSource';
import { windowEnds, type WindowSource } from './windows';

/** Windows ready for a model: a scaled source and the window-end rows of each part. */
export interface PreparedData {
  source: WindowSource;
  window: number;
  featureNames: string[];
  scaler: ScalerState;
  train: Int32Array;
  val: Int32Array;
  test?: Int32Array;
  /** 1 when the close rose on the window's last bar (for the persistence baseline). */
  lastMove: Float32Array;
}

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
  const lastMove = lastMoves(frame);
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

/**
 * A new frame's windows for a saved model (prediction on data it has not seen): its
 * features scaled by its saved scaler (none for the naive models), every window end, and
 * the last move of each bar (what persistence predicts).
 */
export function prepareForPrediction(frame: pl.DataFrame, featureNames: string[], scaler: ScalerState | null, window: number) {
  const source = windowSource(frame, featureNames);
  if (scaler) applyScaler(scaler, source.matrix);
  return { source, ends: windowEnds({ start: 0, end: frame.height }, window), lastMove: lastMoves(frame) };
}

function lastMoves(frame: pl.DataFrame): Float32Array {
  const close = frame.getColumn('close').cast(pl.Float64).toTypedArray() as Float64Array;
  return Float32Array.from(close, (c, i) => (i > 0 && c > close[i - 1] ? 1 : 0));
}
