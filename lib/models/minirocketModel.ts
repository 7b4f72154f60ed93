import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import { makeBatch, type WindowSource } from '../tensors/windows';
import type { PreparedData } from '../tensors/prepare';
import type { TrainOptionsInput } from '../train/options';
import { inputsOf, NotFittedError, type Classifier, type FitOptions, type ModelInputs } from './classifier';
import { DEFAULT_ALPHAS, fitLogisticHead, fitRidgeCV, predictLinear, type LinearHead } from './linear';
import { fitMiniRocket, transformMiniRocket, type MiniRocketState } from './minirocket';
import { MODEL_FORMAT, savedInputs } from './io';
import { registerFamily } from './registry';

/** MiniRocket's params (`workflow.minirocket` in a config). */
export const MiniRocketParams = z.object({
  numFeatures: z.number().int().min(84).max(50_000).default(10_000),
  /** ridge with alpha by blocked CV for small n, logistic for large n (the paper's rule); `auto` picks by `ridgeMaxExamples` */
  classifier: z.enum(['auto', 'ridge', 'logistic']).default('auto'),
  ridgeMaxExamples: z.number().int().positive().default(2000),
  alphas: z.array(z.number().positive()).min(1).default(DEFAULT_ALPHAS),
  /** ridge's alpha: blocked cross-validation over this many contiguous folds of the training windows */
  cvFolds: z.number().int().min(2).max(20).default(5),
  /** bars between a held-out block and the windows fitted on (window + horizon covers the overlap and the label) */
  cvPurgeBars: z.number().int().nonnegative().default(75),
  /** L2 of the logistic head */
  l2: z.number().nonnegative().default(1e-3),
}).strict();
export type MiniRocketParams = z.infer<typeof MiniRocketParams>;

/** MiniRocket's kernels span 9 steps: a shorter window cannot be transformed. */
export const MINIROCKET_MIN_WINDOW = 9;

export type MiniRocketFitOptions = FitOptions & {
  train?: TrainOptionsInput;
  /** windows transformed so far, of all to transform (train + validation) */
  onProgress?: (done: number, total: number) => void;
}

/**
 * MiniRocket features + a linear head as a gatebook classifier. `fit` transforms the
 * training and validation windows once and keeps their features (`features`), so a control
 * can refit the head on other labels without transforming again.
 */
export class MiniRocketModel implements Classifier {
  readonly family = 'minirocket';
  readonly params: Partial<MiniRocketParams>;
  private rocket: MiniRocketState | null = null;
  private head: LinearHead | null = null;
  readonly training = null;
  inputs: ModelInputs | null = null;
  /** The transformed training and validation windows of the last fit. */
  features: { train: Float32Array; val: Float32Array; columns: number } | null = null;
  /** bars between consecutive training windows of the last fit */
  private trainStride = 1;

  constructor(params: Partial<MiniRocketParams> = {}) {
    this.params = { ...params };
  }

  get fitted(): boolean {
    return this.head !== null;
  }

  get linearHead(): LinearHead | null {
    return this.head;
  }

  async fit(data: PreparedData, o: MiniRocketFitOptions = {}): Promise<this> {
    const params = this.validParams();
    const { seed = 42, train: trainOptions, onProgress, callbacks: _callbacks, checkpointDir: _dir, resume: _resume, init: _init, trainable: _trainable, ...rest } = o;
    const { window } = data;
    const f = data.source.features;
    if (window < MINIROCKET_MIN_WINDOW) throw new InputError(`MiniRocketModel: windows of ${window} steps are shorter than its kernels (${MINIROCKET_MIN_WINDOW} steps); use a window of at least ${MINIROCKET_MIN_WINDOW}`);
    // biases from quantiles of random training examples (the reference fits on up to all of them)
    const sample = Array.from(data.train.subarray(0, Math.min(data.train.length, 10_000)), (e) => makeBatch(data.source, [e], window).x);
    this.rocket = fitMiniRocket(sample, window, f, { numFeatures: params.numFeatures, seed });
    const total = data.train.length + data.val.length;
    this.trainStride = data.train.length > 1 ? data.train[1] - data.train[0] : 1;
    const train = this.transform(data.source, data.train, (d) => onProgress?.(d, total));
    const val = this.transform(data.source, data.val, (d) => onProgress?.(data.train.length + d, total));
    const columns = this.rocket.biases.length;
    this.features = { train, val, columns };
    this.inputs = inputsOf(data, seed);
    this.head = await this.fitHead(labelsAt(data, data.train), labelsAt(data, data.val), { ...rest, ...trainOptions, seed });
    return this;
  }

  /** Fit the linear head on the kept features with these training labels (a control's shuffled ones). */
  async fitHead(trainLabels: ArrayLike<number>, valLabels: ArrayLike<number>, train?: TrainOptionsInput): Promise<LinearHead> {
    if (!this.features) throw new NotFittedError('MiniRocketModel');
    const params = this.validParams();
    const { columns } = this.features;
    const rows = trainLabels.length;
    const kind = params.classifier === 'auto' ? (rows <= params.ridgeMaxExamples ? 'ridge' : 'logistic') : params.classifier;
    if (kind === 'ridge') {
      // rows are the training windows in time order; the gap in rows covers cvPurgeBars bars of window ends
      const gap = Math.ceil(params.cvPurgeBars / Math.max(1, this.trainStride));
      return fitRidgeCV(this.features.train, rows, columns, trainLabels, params.alphas, { folds: params.cvFolds, gap });
    }
    return fitLogisticHead(
      { x: this.features.train, y: trainLabels, rows },
      { x: this.features.val, y: valLabels, rows: valLabels.length },
      columns,
      { l2: params.l2, train },
    );
  }

  /** MiniRocket features of the windows ending at `ends` (rows × features). */
  transform(source: WindowSource, ends: Int32Array, onProgress?: (done: number) => void): Float32Array {
    if (!this.rocket) throw new NotFittedError('MiniRocketModel');
    const columns = this.rocket.biases.length;
    const out = new Float32Array(ends.length * columns);
    const window = this.rocket.length;
    for (let i = 0; i < ends.length; i++) {
      out.set(transformMiniRocket(this.rocket, makeBatch(source, [ends[i]], window).x), i * columns);
      if (onProgress && ((i + 1) % 250 === 0 || i + 1 === ends.length)) onProgress(i + 1);
    }
    return out;
  }

  async predictProba(source: WindowSource, ends: Int32Array): Promise<Float32Array> {
    if (!this.head || !this.rocket) throw new NotFittedError('MiniRocketModel');
    if (source.features !== this.rocket.channels) throw new InputError(`MiniRocketModel was fitted on ${this.rocket.channels} features, got ${source.features}`);
    return predictLinear(this.head, this.transform(source, ends), ends.length);
  }

  save(dir: string, extra: Record<string, unknown> = {}): void {
    if (!this.head || !this.rocket || !this.inputs) throw new NotFittedError('MiniRocketModel');
    mkdirSync(dir, { recursive: true });
    const meta = {
      format: MODEL_FORMAT, version: 1, family: this.family, params: this.validParams(),
      window: this.inputs.window, features: this.inputs.featureNames, scaler: this.inputs.scaler, seed: this.inputs.seed,
      state: { rocket: this.rocket, head: this.head }, saved: new Date().toISOString(), ...extra,
    };
    writeFileAtomic(join(dir, 'model.json'), JSON.stringify(meta) + '\n');
  }

  /** @internal loading */
  restore(state: { rocket: MiniRocketState; head: LinearHead }, inputs: ModelInputs): this {
    this.rocket = state.rocket;
    this.head = state.head;
    this.inputs = inputs;
    return this;
  }

  clone(): MiniRocketModel {
    return new MiniRocketModel({ ...this.params });
  }

  dispose(): void {
    this.features = null;
  }

  private validParams(): MiniRocketParams {
    const parsed = MiniRocketParams.safeParse(this.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`MiniRocketModel: invalid ${issue.path.join('.') || 'params'}: ${issue.message}`);
    }
    return parsed.data;
  }
}

function labelsAt(data: PreparedData, ends: Int32Array): Float32Array {
  return Float32Array.from(ends, (e) => data.source.labels[e]);
}

export const minirocket = (params: Partial<MiniRocketParams> = {}) => new MiniRocketModel(params);

registerFamily('minirocket', {
  create: (p) => minirocket(p as Partial<MiniRocketParams>), trainable: false,
  summary: 'MiniRocket features + a ridge or logistic head (params: numFeatures, classifier, …)',
  load: (saved) => minirocket(saved.meta.params as Partial<MiniRocketParams>).restore(saved.meta.state as { rocket: MiniRocketState; head: LinearHead }, savedInputs(saved)),
});
