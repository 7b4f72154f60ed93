import type { WindowSource } from '../tensors/windows';
import type { ScalerState } from '../tensors/scaler';
import { GatebookError } from '../util/errors';

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

/**
 * The interface every model family shares, as scikit-learn's estimators share theirs:
 * the constructor stores params only; `fit` validates them, learns, and returns this;
 * `predictProba` before `fit` says so by name; `clone` copies params, never learned state.
 */
export interface Classifier {
  readonly family: string;
  readonly params: Record<string, unknown>;
  readonly fitted: boolean;
  fit(data: PreparedData, options?: Record<string, unknown>): Promise<this>;
  /** P(label = 1) for the windows ending at `ends` of `source` (scaled like the training data). */
  predictProba(source: WindowSource, ends: Int32Array, lastMove?: Float32Array): Float32Array;
  save(dir: string): void;
  clone(): Classifier;
  dispose(): void;
}

export class NotFittedError extends GatebookError {
  constructor(name: string) {
    super(`${name} is not fitted yet: call fit() first`);
  }
}
