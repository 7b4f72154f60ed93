import type { z } from 'zod';
import { tf } from '../backend/tf';
import { makeBatch, type WindowSource } from '../tensors/windows';
import type { ScalerState } from '../tensors/scaler';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assignValues, trainNetwork, type EpochRecord, type TrainCallbacks, type TrainResult } from '../train/loop';
import type { TrainOptionsInput } from '../train/options';
import { InputError } from '../util/errors';
import { NotFittedError, type Classifier, type PreparedData } from './classifier';
import type { Net } from './net';
import { netWeights, readModelDir, saveModel } from './io';

export type FitOptions = TrainOptionsInput & {
  callbacks?: TrainCallbacks;
  checkpointDir?: string;
  resume?: boolean;
  /** Start from these weights (by name; e.g. a pretrained encoder); the others keep their initialization. */
  init?: Map<string, Float32Array>;
  /** Train only the weights whose names pass this test (the rest stay frozen). */
  trainable?: (name: string) => boolean;
};

function fail(message: string): never {
  throw new InputError(message);
}

export type NetBuilder<P> = (params: P, features: number, window: number, seed: number) => Net;

/** What a fitted network knows besides its weights. */
export interface FittedState {
  features: number;
  window: number;
  featureNames: string[];
  scaler: ScalerState;
  seed: number;
  training: TrainResult | null;
}

/**
 * A model family built from a params schema and a network builder. Subclasses
 * (`LstmModel`, `TcnModel`, …) only name the family; the rest is shared.
 */
export class NeuralModel<P extends Record<string, unknown>> implements Classifier {
  readonly params: P;
  private net: Net | null = null;
  private state: FittedState | null = null;

  constructor(
    readonly family: string,
    private readonly schema: z.ZodType<P, z.ZodTypeDef, unknown>,
    private readonly builder: NetBuilder<P>,
    params: Partial<P> = {},
  ) {
    this.params = { ...params } as P;
  }

  get fitted(): boolean {
    return this.net !== null;
  }

  /** The training history and figures of the last fit (null for a loaded model). */
  get training(): TrainResult | null {
    return this.state?.training ?? null;
  }

  get fittedState(): FittedState | null {
    return this.state;
  }

  /**
   * Train on `data`. With `checkpointDir`, the best epoch so far is saved there atomically
   * (model.json + weights.bin, history included) as training goes; with `resume` too,
   * training starts from that checkpoint's weights at the epoch after it.
   */
  async fit(data: PreparedData, options: FitOptions = {}): Promise<this> {
    const params = this.validParams();
    const { callbacks = {}, checkpointDir, resume, init, trainable, ...train } = options;
    const seed = train.seed ?? 42;
    this.dispose();
    const net = this.builder(params, data.source.features, data.window, seed);
    const base = { features: data.source.features, window: data.window, featureNames: data.featureNames, scaler: data.scaler, seed };
    if (init) {
      const matched = [...net.variables].filter(([name, v]) => {
        const values = init.get(name);
        if (!values) return false;
        if (values.length !== v.size) fail(`initial weight ${name} has ${values.length} values, ${this.family} expects ${v.size}: the pretrained encoder was built with other params`);
        assignValues(v, values);
        return true;
      });
      if (matched.length === 0) fail(`none of the initial weights (${[...init.keys()].slice(0, 3).join(', ')} …) belong to ${this.family}`);
    }
    let startEpoch = 0;
    if (checkpointDir && resume && existsSync(join(checkpointDir, 'model.json'))) {
      const saved = readModelDir(checkpointDir);
      for (const [name, v] of net.variables) assignValues(v, saved.weights.get(name) ?? fail(`checkpoint ${checkpointDir} has no weight ${name}`));
      startEpoch = (saved.meta.epoch as number) ?? 0;
    }
    const history: EpochRecord[] = [];
    const onEpoch: TrainCallbacks['onEpoch'] = async (record, improved, progress) => {
      history.push(record);
      if (checkpointDir && improved) {
        saveModel(checkpointDir, { family: this.family, params, weights: netWeights(net), state: { ...base, training: null }, extra: { epoch: record.epoch, history, metrics: record } });
      }
      await callbacks.onEpoch?.(record, improved, progress);
    };
    // a frozen weight is simply not handed to the optimizer
    const trained = trainable ? { ...net, variables: new Map([...net.variables].filter(([name]) => trainable(name))) } : net;
    if (trained.variables.size === 0) fail(`no weight of ${this.family} is trainable`);
    const training = await trainNetwork(trained, data, train, { ...callbacks, onEpoch, startEpoch });
    this.net = net;
    this.state = { ...base, training };
    return this;
  }

  /** The fitted weights by name (a copy). */
  weights(): Map<string, Float32Array> {
    if (!this.net) throw new NotFittedError(`${this.constructor.name}`);
    return new Map([...this.net.variables].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]));
  }

  predictProba(source: WindowSource, ends: Int32Array): Float32Array {
    if (!this.net || !this.state) throw new NotFittedError(`${this.constructor.name}`);
    const out = new Float32Array(ends.length);
    const { window, features } = this.state;
    if (source.features !== features) throw new InputError(`${this.constructor.name} was fitted on ${features} features, got ${source.features}`);
    for (let i = 0; i < ends.length; i += 1024) {
      const batch = makeBatch(source, ends.subarray(i, i + 1024), window);
      out.set(tf.tidy(() => tf.sigmoid(this.net!.forward(tf.tensor3d(batch.x, [batch.size, window, features]), false)).dataSync()), i);
    }
    return out;
  }

  save(dir: string, extra: Record<string, unknown> = {}): void {
    if (!this.net || !this.state) throw new NotFittedError(`${this.constructor.name}`);
    saveModel(dir, { family: this.family, params: this.validParams(), state: this.state, weights: netWeights(this.net), extra });
  }

  /** @internal used by loadModel: a built net with saved weights. */
  restore(state: FittedState, weights: Map<string, Float32Array>): this {
    const net = this.builder(this.validParams(), state.features, state.window, state.seed);
    for (const [name, v] of net.variables) {
      const values = weights.get(name);
      if (!values || values.length !== v.size) throw new InputError(`saved weights do not fit ${this.family}: ${name} ${values ? `has ${values.length} values, expected ${v.size}` : 'is missing'}`);
      assignValues(v, values);
    }
    this.dispose();
    this.net = net;
    this.state = state;
    return this;
  }

  clone(): NeuralModel<P> {
    return new (this.constructor as new (params: Partial<P>) => NeuralModel<P>)({ ...this.params });
  }

  dispose(): void {
    if (this.net) for (const v of this.net.variables.values()) v.dispose();
    this.net = null;
  }

  private validParams(): P {
    const parsed = this.schema.safeParse(this.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`${this.constructor.name}: invalid ${issue.path.join('.') || 'params'}: ${issue.message}`);
    }
    return parsed.data;
  }
}
