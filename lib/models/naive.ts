import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PreparedData } from '../tensors/prepare';
import type { WindowSource } from '../tensors/windows';
import { writeFileAtomic } from '../util/atomic';
import { NotFittedError, type Classifier, type ModelInputs } from './classifier';
import { MODEL_FORMAT, savedInputs } from './io';
import { registerFamily } from './registry';

/** A rule reads no features: only the window length matters (which windows exist). */
function ruleInputs(data: PreparedData): ModelInputs {
  return { featureNames: [], window: data.window, scaler: null, seed: 0 };
}

function saveRule(dir: string, family: string, inputs: ModelInputs, state: Record<string, unknown>, extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const meta = { format: MODEL_FORMAT, version: 1, family, params: {}, window: inputs.window, features: [], scaler: null, seed: inputs.seed, state, ...extra };
  writeFileAtomic(join(dir, 'model.json'), JSON.stringify(meta, null, 2));
}

/** Predicts the training set's rate of label 1 for every window (the majority-class rule). */
export class MajorityModel implements Classifier {
  readonly family = 'majority';
  readonly params: Record<string, unknown> = {};
  readonly training = null;
  private rate: number | null = null;
  inputs: ModelInputs | null = null;

  get fitted(): boolean {
    return this.rate !== null;
  }

  async fit(data: PreparedData): Promise<this> {
    let ones = 0;
    for (const e of data.train) ones += data.source.labels[e] > 0.5 ? 1 : 0;
    this.rate = ones / Math.max(1, data.train.length);
    this.inputs = ruleInputs(data);
    return this;
  }

  async predictProba(_source: WindowSource, ends: Int32Array): Promise<Float32Array> {
    if (this.rate === null) throw new NotFittedError('MajorityModel');
    return new Float32Array(ends.length).fill(this.rate);
  }

  save(dir: string, extra: Record<string, unknown> = {}): void {
    if (this.rate === null || !this.inputs) throw new NotFittedError('MajorityModel');
    saveRule(dir, this.family, this.inputs, { rate: this.rate }, extra);
  }

  /** @internal loading */
  restore(state: { rate: number }, inputs: ModelInputs): this {
    this.rate = state.rate;
    this.inputs = inputs;
    return this;
  }

  clone(): MajorityModel {
    return new MajorityModel();
  }

  dispose(): void {}
}

/** Predicts the last bar's move again: 1 when the close rose on the window's last bar. Nothing to learn. */
export class PersistenceModel implements Classifier {
  readonly family = 'persistence';
  readonly params: Record<string, unknown> = {};
  readonly training = null;
  inputs: ModelInputs | null = null;

  get fitted(): boolean {
    return this.inputs !== null;
  }

  async fit(data: PreparedData): Promise<this> {
    return this.restore(ruleInputs(data));
  }

  /** @internal loading */
  restore(inputs: ModelInputs): this {
    this.inputs = inputs;
    return this;
  }

  async predictProba(_source: WindowSource, ends: Int32Array, lastMove?: Float32Array): Promise<Float32Array> {
    if (!this.inputs) throw new NotFittedError('PersistenceModel');
    if (!lastMove) throw new Error('PersistenceModel needs the last move of each window (PreparedData.lastMove)');
    return Float32Array.from(ends, (e) => lastMove[e]);
  }

  save(dir: string, extra: Record<string, unknown> = {}): void {
    if (!this.inputs) throw new NotFittedError('PersistenceModel');
    saveRule(dir, this.family, this.inputs, {}, extra);
  }

  clone(): PersistenceModel {
    return new PersistenceModel();
  }

  dispose(): void {}
}

export const majority = () => new MajorityModel();
export const persistence = () => new PersistenceModel();

registerFamily('majority', {
  create: majority, trainable: false, summary: "the training set's majority class (a naive baseline)",
  load: (saved) => majority().restore(saved.meta.state as { rate: number }, savedInputs(saved)),
});
registerFamily('persistence', {
  create: persistence, trainable: false, summary: "the last bar's move again (a naive baseline)",
  load: (saved) => persistence().restore(savedInputs(saved)),
});
