import pl from 'nodejs-polars';
import type { SplitFile } from '../split/splitFile';
import { partRanges } from '../split/symbols';
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
 * each part (windows never cross a part's start, nor a symbol's: each symbol's part is its own range).
 */
export function prepareData(frame: pl.DataFrame, split: Pick<SplitFile, 'train' | 'val' | 'test' | 'symbols'>, options: PrepareOptions): PreparedData {
  const featureNames = options.featureNames ?? numericFeatureNames();
  const source = windowSource(frame, featureNames);
  const scaler = fitScaler(source.matrix, source.features, partRanges(split, 'train'), options.scaler ?? 'standard');
  applyScaler(scaler, source.matrix);
  const lastMove = lastMoves(frame);
  return {
    source,
    window: options.window,
    featureNames,
    scaler,
    train: partEnds(split, 'train', options.window, options.trainStride ?? 1),
    val: partEnds(split, 'val', options.window),
    test: partEnds(split, 'test', options.window),
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

/** Window-end rows of a part: of each symbol's range in a multi-symbol split, so no window holds two symbols' bars. */
export function partEnds(split: Pick<SplitFile, 'train' | 'val' | 'test' | 'symbols'>, part: 'train' | 'val' | 'test', window: number, stride = 1): Int32Array {
  const ends = partRanges(split, part).map((r) => windowEnds(r, window, stride));
  if (ends.length === 1) return ends[0];
  const out = new Int32Array(ends.reduce((n, e) => n + e.length, 0));
  let at = 0;
  for (const e of ends) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/** 1 where the close rose from the bar before (of the same symbol: a symbol's first bar has none). */
function lastMoves(frame: pl.DataFrame): Float32Array {
  const close = frame.getColumn('close').cast(pl.Float64).toTypedArray() as Float64Array;
  const symbol = frame.columns.includes('symbol') ? (frame.getColumn('symbol').toArray() as string[]) : null;
  return Float32Array.from(close, (c, i) => (i > 0 && c > close[i - 1] && (!symbol || symbol[i] === symbol[i - 1]) ? 1 : 0));
}
