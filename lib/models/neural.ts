import type { z } from 'zod';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { tf } from '../backend/tf';
import { currentBackend } from '../backend/select';
import type { PreparedData } from '../tensors/prepare';
import type { WindowSource } from '../tensors/windows';
import { windowsTensor } from '../ops/windowsTensor';
import { trainingClassWeights, trainNetwork } from '../train/classification';
import { DataParallel } from '../train/dataParallel';
import { TrainOptions } from '../train/options';
import { resolveWorkers } from '../train/replicas';
import type { LoopState, TrainResult } from '../train/loop';
import type { Net } from '../train/net';
import { assignValues, readWeights } from '../train/weights';
import { InputError } from '../util/errors';
import { inputsOf, NotFittedError, type Classifier, type FitOptions, type ModelInputs } from './classifier';
import { readResumeState, saveModel, savedInputs, type SavedModel, type WeightSet } from './io';
import type { FamilyEntry } from './registry';

function fail(message: string): never {
  throw new InputError(message);
}

/** What a data-parallel replica (models/trainingWorker.ts) builds its network from. */
export interface ReplicaNetSpec {
  family: string;
  params: Record<string, unknown>;
  features: number;
  window: number;
  seed: number;
}

export type NetBuilder<P> = (params: P, features: number, window: number, seed: number) => Net;

/**
 * A model family built from a params schema and a network builder, trained by the one
 * training loop. Subclasses (`LstmModel`, `TcnModel`, …) only name the family; the rest is shared.
 */
export class NeuralModel<P extends Record<string, unknown>> implements Classifier {
  readonly params: P;
  private net: Net | null = null;
  private fittedInputs: ModelInputs | null = null;
  /** The fitted weights, read once after fit or load: save and weights() never read the device. */
  private host: WeightSet | null = null;
  private result: TrainResult | null = null;
  /** The training loop's state after the last epoch of the last fit (saved so training can continue). */
  private state: LoopState | null = null;

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

  get inputs(): ModelInputs | null {
    return this.fittedInputs;
  }

  /** The training history and figures of the last fit (or as saved with the model). */
  get training(): TrainResult | null {
    return this.result;
  }

  /**
   * Train on `data`. With `checkpointDir`, after every epoch the model folder there is
   * written atomically: the best weights so far (model.json + weights.bin, history
   * included) and the loop's whole state (resume.json + resume.bin). With `resume` too,
   * training continues exactly where that state left it — the same history, best epoch and
   * weights as a run never stopped.
   */
  async fit(data: PreparedData, options: FitOptions = {}): Promise<this> {
    const params = this.validParams();
    const { callbacks = {}, checkpointDir, resume, init, trainable, ...train } = options;
    const seed = train.seed ?? 42;
    this.dispose();
    const net = this.builder(params, data.source.features, data.window, seed);
    const inputs = inputsOf(data, seed);
    if (init) initialize(net, init, this.family);
    const resumeFrom = checkpointDir && resume ? resumeStateOf(checkpointDir) : undefined;
    // a frozen weight is simply not handed to the optimizer
    const trained = trainable ? { ...net, variables: new Map([...net.variables].filter(([name]) => trainable(name))) } : net;
    if (trained.variables.size === 0) fail(`no weight of ${this.family} is trainable`);
    const frozen = await readWeights(new Map([...net.variables].filter(([name]) => !trained.variables.has(name))));
    const onState = async (state: LoopState) => {
      this.state = state;
      if (!checkpointDir) return;
      const bestWeights = state.best.weights ?? state.variables;
      const weights = new Map([...trained.variables.keys()].map((name, i) => [name, { shape: trained.variables.get(name)!.shape, values: bestWeights[i] }]));
      for (const [name, v] of frozen) if (!weights.has(name)) weights.set(name, v);
      const best = state.history.find((h) => h.epoch === state.best.epoch);
      saveModel(checkpointDir, { family: this.family, params, weights: orderedAs(net, weights), inputs, training: null, resume: state, extra: { epoch: state.best.epoch, history: state.history, metrics: best } });
      await callbacks.onState?.(state);
    };
    const parallel = await this.replicas(net, trained, data, TrainOptions.parse(train), params);
    let training: TrainResult;
    try {
      training = await trainNetwork(trained, data, train, { ...callbacks, resumeFrom, onState }, parallel);
    } finally {
      await parallel?.release();
    }
    this.net = net;
    this.host = await readWeights(net.variables);
    this.fittedInputs = inputs;
    this.result = training;
    return this;
  }

  /** A fresh network of this family for `features` × `window` inputs, seeded (what a data-parallel replica trains). */
  buildNet(features: number, window: number, seed: number): Net {
    return this.builder(this.validParams(), features, window, seed);
  }

  /** The data-parallel replicas for this training (none when one process trains). */
  private async replicas(net: Net, trained: Net, data: PreparedData, o: TrainOptions, params: P): Promise<DataParallel | undefined> {
    const backend = currentBackend()?.name ?? tf.getBackend();
    const processes = resolveWorkers(o.workers, backend);
    if (processes <= 1) return undefined;
    const spec: ReplicaNetSpec = { family: this.family, params, features: data.source.features, window: data.window, seed: o.seed };
    const script = join(__dirname, `trainingWorker${extname(__filename)}`);
    return DataParallel.start({ processes, script, net: spec, backend }, [...trained.variables.values()], net.variables, data.source, data.window, trainingClassWeights(data, o));
  }

  /** The fitted weights by name (a copy). */
  weights(): Map<string, Float32Array> {
    if (!this.net || !this.host) throw new NotFittedError(`${this.constructor.name}`);
    return new Map([...this.host].map(([name, w]) => [name, w.values.slice()]));
  }

  async predictProba(source: WindowSource, ends: Int32Array): Promise<Float32Array> {
    if (!this.net || !this.fittedInputs) throw new NotFittedError(`${this.constructor.name}`);
    const out = new Float32Array(ends.length);
    const { window } = this.fittedInputs;
    const features = this.fittedInputs.featureNames.length;
    if (source.features !== features) throw new InputError(`${this.constructor.name} was fitted on ${features} features, got ${source.features}`);
    for (let i = 0; i < ends.length; i += 1024) {
      const p = tf.tidy(() => tf.sigmoid(this.net!.forward(windowsTensor(source, ends.subarray(i, i + 1024), window), false)));
      out.set(await p.data(), i);
      p.dispose();
    }
    return out;
  }

  save(dir: string, extra: Record<string, unknown> = {}): void {
    if (!this.net || !this.fittedInputs || !this.host) throw new NotFittedError(`${this.constructor.name}`);
    saveModel(dir, { family: this.family, params: this.validParams(), inputs: this.fittedInputs, training: this.result, weights: this.host!, resume: this.state, extra });
  }

  /** @internal loadModel: a built net with the saved weights. */
  restore(saved: SavedModel): this {
    const inputs = savedInputs(saved);
    const net = this.builder(this.validParams(), inputs.featureNames.length, inputs.window, inputs.seed);
    for (const [name, v] of net.variables) {
      const values = saved.weights.get(name);
      if (!values || values.length !== v.size) throw new InputError(`${saved.dir}: saved weights do not fit ${this.family}: ${name} ${values ? `has ${values.length} values, expected ${v.size}` : 'is missing'}`);
      assignValues(v, values);
    }
    this.dispose();
    this.net = net;
    this.host = new Map([...net.variables].map(([name, v]) => [name, { shape: v.shape, values: saved.weights.get(name)! }]));
    this.fittedInputs = inputs;
    this.result = (saved.meta.training as TrainResult | undefined) ?? null;
    return this;
  }

  clone(): NeuralModel<P> {
    return new (this.constructor as new (params: Partial<P>) => NeuralModel<P>)({ ...this.params });
  }

  dispose(): void {
    if (this.net) for (const v of this.net.variables.values()) v.dispose();
    this.net = null;
    this.host = null;
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

/** The state a checkpoint folder holds to continue from; a folder without one is refused by name. */
function resumeStateOf(dir: string): LoopState | undefined {
  if (!existsSync(join(dir, 'model.json'))) return undefined; // nothing saved yet: start from the beginning
  return readResumeState(dir) ?? fail(`${dir} has no resume state (resume.json): it was saved before resumable checkpoints; train it again`);
}

/** The weights in the net's own order (as a saved folder lists them). */
function orderedAs(net: Net, weights: WeightSet): WeightSet {
  return new Map([...net.variables.keys()].map((name) => [name, weights.get(name)!]));
}

/** Start from `init`'s weights where the names match (at least one must). */
function initialize(net: Net, init: Map<string, Float32Array>, family: string): void {
  const matched = [...net.variables].filter(([name, v]) => {
    const values = init.get(name);
    if (!values) return false;
    if (values.length !== v.size) fail(`initial weight ${name} has ${values.length} values, ${family} expects ${v.size}: the pretrained encoder was built with other params`);
    assignValues(v, values);
    return true;
  });
  if (matched.length === 0) fail(`none of the initial weights (${[...init.keys()].slice(0, 3).join(', ')} …) belong to ${family}`);
}

/** The registry entry of a network family: made from params, loaded from its saved weights, trained by the loop. */
export function networkFamily<P extends Record<string, unknown>>(make: (params: Partial<P>) => NeuralModel<P>, summary: string): FamilyEntry {
  return { create: (p) => make(p as Partial<P>), load: (saved) => make(saved.meta.params as Partial<P>).restore(saved), trainable: true, summary };
}
