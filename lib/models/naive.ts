import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import type { WindowSource } from '../tensors/windows';
import { NotFittedError, type Classifier, type PreparedData } from './classifier';

/** Predicts the training set's rate of label 1 for every window (the majority-class rule). */
export class MajorityModel implements Classifier {
  readonly family = 'majority';
  readonly params: Record<string, unknown> = {};
  private rate: number | null = null;

  get fitted(): boolean {
    return this.rate !== null;
  }

  async fit(data: PreparedData): Promise<this> {
    let ones = 0;
    for (const e of data.train) ones += data.source.labels[e] > 0.5 ? 1 : 0;
    this.rate = ones / Math.max(1, data.train.length);
    return this;
  }

  predictProba(_source: WindowSource, ends: Int32Array): Float32Array {
    if (this.rate === null) throw new NotFittedError('MajorityModel');
    return new Float32Array(ends.length).fill(this.rate);
  }

  save(dir: string): void {
    if (this.rate === null) throw new NotFittedError('MajorityModel');
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'model.json'), JSON.stringify({ format: 'gatebook-model', version: 1, family: this.family, params: {}, state: { rate: this.rate } }, null, 2));
  }

  /** @internal loading */
  restore(state: { rate: number }): this {
    this.rate = state.rate;
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
  private isFitted = false;

  get fitted(): boolean {
    return this.isFitted;
  }

  async fit(): Promise<this> {
    return this.restore();
  }

  /** @internal loading */
  restore(): this {
    this.isFitted = true;
    return this;
  }

  predictProba(_source: WindowSource, ends: Int32Array, lastMove?: Float32Array): Float32Array {
    if (!this.isFitted) throw new NotFittedError('PersistenceModel');
    if (!lastMove) throw new Error('PersistenceModel needs the last move of each window (PreparedData.lastMove)');
    return Float32Array.from(ends, (e) => lastMove[e]);
  }

  save(dir: string): void {
    if (!this.isFitted) throw new NotFittedError('PersistenceModel');
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'model.json'), JSON.stringify({ format: 'gatebook-model', version: 1, family: this.family, params: {}, state: {} }, null, 2));
  }

  clone(): PersistenceModel {
    return new PersistenceModel();
  }

  dispose(): void {}
}
