import { InputError } from '../util/errors';
import type { Classifier } from './classifier';
import { readModelDir, type SavedModel } from './io';

/** How a family is made from params and read back from its saved folder. */
export interface FamilyEntry {
  create(params: Record<string, unknown>): Classifier;
  load(saved: SavedModel): Classifier;
  /** Trained by the training loop from a config's `train:` options (a config's `model.family` may name it). */
  trainable: boolean;
  /** One line for --help and error messages. */
  summary: string;
}

const FAMILIES = new Map<string, FamilyEntry>();

/** A family registers itself from its own file (lstm.ts, tcn.ts, …); models/index.ts imports them all. */
export function registerFamily(name: string, entry: FamilyEntry): void {
  FAMILIES.set(name, entry);
}

/** The registered families' names (`trainable`: only those a config's model.family may name). */
export function familyNames(o: { trainable?: boolean } = {}): string[] {
  return [...FAMILIES].filter(([, e]) => !o.trainable || e.trainable).map(([name]) => name);
}

export function familyEntry(name: string): FamilyEntry {
  const entry = FAMILIES.get(name);
  if (!entry) throw new InputError(`invalid model: ${name} (expected one of ${familyNames().join(', ')})`);
  return entry;
}

export function createModel(family: string, params: Record<string, unknown> = {}): Classifier {
  return familyEntry(family).create(params);
}

/** Load a model saved with `save(dir)`: its family from model.json, its weights checked by sha256. */
export function loadModel(dir: string): Classifier {
  const saved = readModelDir(dir);
  return familyEntry(saved.meta.family).load(saved);
}
