import type { PreparedData } from '../tensors/prepare';
import type { ScalerState } from '../tensors/scaler';
import type { WindowSource } from '../tensors/windows';
import type { TrainCallbacks, TrainResult } from '../train/loop';
import type { TrainOptionsInput } from '../train/options';
import { GatebookError } from '../util/errors';

/** What a fitted model reads: its feature columns (in order), the window length, and the scaler fitted on its training rows (none for the naive rules). */
export interface ModelInputs {
  featureNames: string[];
  window: number;
  scaler: ScalerState | null;
  seed: number;
}

/** How a model is fitted: the training loop's options, plus where its checkpoints go. Families ignore what does not apply to them. */
export type FitOptions = TrainOptionsInput & {
  callbacks?: TrainCallbacks;
  /** Save the best epoch so far here, atomically, as training goes. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** Start from these weights (by name; e.g. a pretrained encoder); the others keep their initialization. */
  init?: Map<string, Float32Array>;
  /** Train only the weights whose names pass this test (the rest stay frozen). */
  trainable?: (name: string) => boolean;
};

/**
 * The interface every model family shares, as scikit-learn's estimators share theirs:
 * the constructor stores params only; `fit` validates them, learns, and returns this;
 * `predictProba` before `fit` says so by name; `clone` copies params, never learned state.
 * A fitted model knows its `inputs` (so any caller can prepare new windows for it) and the
 * `training` that made it (null for rules that learn nothing and for loaded models without a history).
 */
export interface Classifier {
  readonly family: string;
  readonly params: Record<string, unknown>;
  readonly fitted: boolean;
  readonly inputs: ModelInputs | null;
  readonly training: TrainResult | null;
  fit(data: PreparedData, options?: FitOptions): Promise<this>;
  /** P(label = 1) for the windows ending at `ends` of `source` (scaled like the training data); persistence reads `lastMove`. */
  predictProba(source: WindowSource, ends: Int32Array, lastMove?: Float32Array): Promise<Float32Array>;
  /** Write the model folder (model.json, weights, history), with `extra` keys in model.json. */
  save(dir: string, extra?: Record<string, unknown>): void;
  clone(): Classifier;
  dispose(): void;
}

export class NotFittedError extends GatebookError {
  constructor(name: string) {
    super(`${name} is not fitted yet: call fit() first`);
  }
}

/** The inputs a model fitted on `data` reads. */
export function inputsOf(data: PreparedData, seed: number): ModelInputs {
  return { featureNames: data.featureNames, window: data.window, scaler: data.scaler, seed };
}
