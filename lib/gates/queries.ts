import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EpochRecord } from '../train/loop';
import { CheckFailedError, InputError } from '../util/errors';
import { sha256FileSync } from '../util/hash';
import { latestByGate, verifyLedger } from './ledger';
import type { GateRecord } from './record';

/*
 * What the ledger says, for everyone who reads it (the CLI, notebooks, reports): records on
 * the intact chain only, the latest per gate, the best by a metric, and the artifacts a
 * record points at.
 */

/** The records on the intact chain of a ledger; a broken chain is reported through `warn` (stderr by default) and its tail never returned. */
export function intactRecords(path: string, warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): GateRecord[] {
  const state = verifyLedger(path);
  if (state.firstBad) warn(`${path} line ${state.firstBad.line}: ${state.firstBad.reason}; records from there on are not evidence`);
  return state.records;
}

/** The latest record of each gate in a ledger. */
export function latestRecords(path: string): GateRecord[] {
  return [...latestByGate(intactRecords(path)).values()];
}

/** The latest record of one gate, or undefined. */
export function latestRecordOf(path: string, gate: string): GateRecord | undefined {
  return intactRecords(path).filter((r) => r.gate === gate).at(-1);
}

/** The record with the highest (or, with `lowest`, the lowest) value of a metric; null when no record has it. */
export function bestRecord(records: GateRecord[], metric: string, lowest = false): GateRecord | null {
  const sign = lowest ? -1 : 1;
  const candidates = records.filter((r) => typeof r.metrics[metric] === 'number');
  if (!candidates.length) return null;
  return candidates.reduce((a, b) => (sign * (b.metrics[metric] as number) > sign * (a.metrics[metric] as number) ? b : a));
}

/** The model folder a gate's record points at (the folder of its model.json artifact), if any. */
export function modelDirOf(record: GateRecord): string | undefined {
  const model = record.artifacts.find((a) => a.path.endsWith('model.json'));
  return model ? dirname(model.path) : undefined;
}

/** The training history of the model a gate recorded (baseline, optimization, finalization, …). */
export function modelHistory(path: string, gate: string): EpochRecord[] {
  const record = latestRecordOf(path, gate);
  const dir = record ? modelDirOf(record) : undefined;
  const file = dir ? join(dir, 'history.json') : '';
  if (!file || !existsSync(file)) throw new InputError(`no training history recorded by gate ${gate} in ${path}`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The file of a record's artifact whose path ends with `suffix`, read as JSON; the error names the gate to run. */
export function recordArtifactJson<T>(path: string, gate: string, suffix: string): T {
  const file = latestRecordOf(path, gate)?.artifacts.find((a) => a.path.endsWith(suffix))?.path;
  if (!file || !existsSync(file)) throw new InputError(`no ${suffix} recorded by gate ${gate} in ${path}: run the ${gate} gate first`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * A model folder's files held against the ledger record that produced them: a record that
 * names the folder must still match it byte for byte (a swapped weights.bin with a matching
 * model.json is caught here). Returns the vouching record, or null when no record names the
 * folder; throws naming the file that differs.
 */
export function checkModelAgainstLedger(dir: string, ledgerPath: string): GateRecord | null {
  const folder = resolve(dir);
  const record = intactRecords(ledgerPath).filter((r) => r.artifacts.some((a) => dirname(resolve(a.path)) === folder)).at(-1);
  if (!record) return null;
  for (const a of record.artifacts.filter((x) => dirname(resolve(x.path)) === folder)) {
    if (!existsSync(a.path)) throw new CheckFailedError(`${a.path} is missing, though gate ${record.gate} recorded it (record ${record.hash.slice(0, 10)}…)`);
    if (sha256FileSync(a.path) !== a.sha256) throw new CheckFailedError(`${a.path} differs from the sha256 gate ${record.gate} recorded (record ${record.hash.slice(0, 10)}…): the model was changed after it was recorded; not used`);
  }
  return record;
}
