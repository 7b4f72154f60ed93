import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeError } from '../util/disk';
import { InputError } from '../util/errors';
import { sha256 } from '../util/hash';
import type { tf } from '../backend/tf';
import type { LoopState, TrainResult } from '../train/loop';
import type { ModelInputs } from './classifier';

export const MODEL_FORMAT = 'gatebook-model';

/** Named weight arrays with their shapes (a net's variables, or a linear head's). */
export type WeightSet = Map<string, { shape: number[]; values: Float32Array }>;

interface SaveInput {
  family: string;
  params: Record<string, unknown>;
  inputs: ModelInputs;
  training: TrainResult | null;
  weights: WeightSet;
  extra: Record<string, unknown>;
  /** The training loop's state after the last epoch: saved beside the model so training can continue exactly. */
  resume?: LoopState | null;
}

const RESUME_JSON = 'resume.json';
const RESUME_BIN = 'resume.bin';

/** The files of a saved model folder (what a gate records as its artifacts). */
export function modelFiles(dir: string): string[] {
  return ['model.json', 'weights.bin', 'history.json'].map((f) => join(dir, f));
}

/**
 * Write a model directory atomically: model.json (family, params, features, scaler,
 * training history, weight layout and sha256), weights.bin and history.json, into a temporary folder
 * renamed into place, so a reader sees the old model or the new one, never half.
 */
export function saveModel(dir: string, input: SaveInput): void {
  const layout: Array<{ name: string; shape: number[]; offset: number; length: number }> = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of input.weights) {
    layout.push({ name, shape, offset, length: values.length });
    chunks.push(values);
    offset += values.length;
  }
  const all = new Float32Array(offset);
  chunks.forEach((c, i) => all.set(c, layout[i].offset));
  const bytes = new Uint8Array(all.buffer);
  const meta = {
    format: MODEL_FORMAT, version: 1, family: input.family, params: input.params,
    window: input.inputs.window, features: input.inputs.featureNames, scaler: input.inputs.scaler, seed: input.inputs.seed,
    training: input.training, weights: layout, weightsSha256: sha256(bytes), saved: new Date().toISOString(), ...input.extra,
  };
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  let writing = join(tmp, 'weights.bin');
  try {
    mkdirSync(tmp);
    writeFileSync(writing, bytes);
    writeFileSync((writing = join(tmp, 'model.json')), JSON.stringify(meta, null, 2) + '\n');
    const history = input.training?.history ?? input.extra.history;
    if (history) writeFileSync((writing = join(tmp, 'history.json')), JSON.stringify(history, null, 2) + '\n'); // the folder is replaced whole: keep the history in it
    if (input.resume) {
      const packed = packResume(input.resume);
      writeFileSync((writing = join(tmp, RESUME_BIN)), packed.bytes);
      writeFileSync((writing = join(tmp, RESUME_JSON)), JSON.stringify(packed.layout) + '\n');
    }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true }); // a full disk leaves no half-written model folder
    throw writeError(error, writing);
  }
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface SavedModel {
  dir: string;
  meta: Record<string, unknown> & { family: string; params: Record<string, unknown>; window?: number; features?: string[] };
  weights: Map<string, Float32Array>;
}

/** The inputs recorded in a saved model's model.json. */
export function savedInputs(saved: SavedModel): ModelInputs {
  const m = saved.meta;
  return { featureNames: (m.features as string[]) ?? [], window: (m.window as number) ?? 1, scaler: (m.scaler as ModelInputs['scaler']) ?? null, seed: (m.seed as number) ?? 42 };
}

/** Read a model directory, checking the weights against their recorded sha256. */
export function readModelDir(dir: string): SavedModel {
  const metaPath = join(dir, 'model.json');
  if (!existsSync(metaPath)) throw new InputError(`${dir}: not a saved model (no model.json)`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  if (meta.format !== MODEL_FORMAT) throw new InputError(`${metaPath}: not a gatebook model (format ${meta.format})`);
  const weights = new Map<string, Float32Array>();
  if (Array.isArray(meta.weights)) {
    const bytes = readFileSync(join(dir, 'weights.bin'));
    if (sha256(bytes) !== meta.weightsSha256) throw new InputError(`${dir}/weights.bin does not match the sha256 in model.json: the file changed or is truncated`);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    for (const w of meta.weights) weights.set(w.name, all.slice(w.offset, w.offset + w.length));
  }
  return { dir, meta, weights };
}

/** The loop state as one float32 buffer (weights, best weights, Adam's step and moments) and a JSON layout. */
function packResume(state: LoopState): { bytes: Uint8Array; layout: Record<string, unknown> } {
  const arrays: Float32Array[] = [];
  const place = (values: Float32Array) => {
    const offset = arrays.reduce((n, a) => n + a.length, 0);
    arrays.push(values);
    return { offset, length: values.length };
  };
  const layout = {
    format: 'gatebook-resume', version: 1, epoch: state.epoch, history: state.history, stale: state.stale, plateau: state.plateau, rng: state.rng, netRandom: state.netRandom, adamPowers: state.adamPowers,
    best: { epoch: state.best.epoch, valLoss: state.best.valLoss, weights: state.best.weights?.map(place) ?? null },
    variables: state.variables.map(place),
    optimizer: state.optimizer.map((w) => ({ name: w.name, shape: w.shape, ...place(w.values) })),
  };
  const all = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  return { bytes: new Uint8Array(all.buffer), layout: { ...layout, sha256: sha256(new Uint8Array(all.buffer)) } };
}

/** The loop state saved with a model (null when it has none: a model from before resumable checkpoints, or not trained by the loop). */
export function readResumeState(dir: string): LoopState | null {
  const jsonPath = join(dir, RESUME_JSON);
  if (!existsSync(jsonPath)) return null;
  const layout = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const bytes = readFileSync(join(dir, RESUME_BIN));
  if (sha256(bytes) !== layout.sha256) throw new InputError(`${dir}/${RESUME_BIN} does not match the sha256 in ${RESUME_JSON}: the checkpoint changed or is truncated`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const take = (p: { offset: number; length: number }) => all.slice(p.offset, p.offset + p.length);
  return {
    epoch: layout.epoch, history: layout.history, stale: layout.stale,
    plateau: { ...layout.plateau, best: layout.plateau.best ?? Infinity }, rng: layout.rng.map((v: number | null) => v ?? Number.NaN), netRandom: layout.netRandom, adamPowers: layout.adamPowers ?? null,
    best: { epoch: layout.best.epoch, valLoss: layout.best.valLoss ?? Infinity, weights: layout.best.weights?.map(take) ?? null },
    variables: layout.variables.map(take),
    optimizer: layout.optimizer.map((w: { name: string; shape: number[]; offset: number; length: number }) => ({ name: w.name, shape: w.shape, values: take(w) })),
  };
}
