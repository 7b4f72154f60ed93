import { loadConfig, parseConfig, type ExperimentConfig } from '../experiments/config';
import { verifyLedger } from '../gates/ledger';
import type { GateRecord } from '../gates/record';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyChanges } from '../eval/diagnose';
import { display } from '../kernel/display';
import type { EpochRecord } from '../train/loop';
import { CheckFailedError, InputError } from '../util/errors';
import { runPipeline, type PipelineResult } from './runner';
import { modelDirOf } from './context';

export interface PhaseRunOptions {
  /** A config file, or '' for the embedded default. */
  config?: string | ExperimentConfig;
  artifacts?: string;
  force?: boolean;
  /** `phases` (default) or `gated` */
  workflow?: string;
  log?: (line: string) => void;
}

/**
 * Run the gates `from` … `to` exactly as `gatebook pipeline --from --to` does (the notebook
 * path and the CLI path record the same gates), and throw when one fails, so a notebook run
 * headlessly fails loudly at the cell that ran it.
 */
export async function runGates(from: string, to: string = from, o: PhaseRunOptions = {}): Promise<{ result: PipelineResult; records: GateRecord[] }> {
  const config = typeof o.config === 'object' ? o.config : o.config ? loadConfig(o.config) : parseConfig({}, 'the embedded default config');
  const artifactsDir = o.artifacts ?? 'artifacts';
  const ledgerPath = `${artifactsDir}/gates.jsonl`;
  const result = await runPipeline({ config, artifactsDir, ledgerPath, from, to, force: o.force, workflow: o.workflow, log: o.log ?? ((l) => console.log(l)) });
  const records = verifyLedger(ledgerPath).records;
  if (result.stoppedAt) {
    const s = result.stoppedAt;
    throw new CheckFailedError(`gate ${s.gate} ${s.record?.status ?? 'failed'}: ${s.issues[0]?.message ?? s.record?.error ?? 'see the ledger'}`);
  }
  return { result, records };
}

/** The latest record of each gate in a ledger (for a notebook's closing table). */
export function latestRecords(artifacts = 'artifacts'): GateRecord[] {
  const latest = new Map(verifyLedger(`${artifacts}/gates.jsonl`).records.map((r) => [r.gate, r]));
  return [...latest.values()];
}

/** A config file (or the embedded default) with dotted-path overrides, validated again. */
export function configWith(path: string, overrides: Record<string, unknown> = {}): ExperimentConfig {
  const base = path ? loadConfig(path) : parseConfig({}, 'the embedded default config');
  const changed = applyChanges(base, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined && v !== '')));
  return parseConfig(changed, path || 'the embedded default config with notebook parameters');
}

/** The training history of the model a gate recorded (baseline, optimization, finalization). */
export function modelHistory(gate: string, artifacts = 'artifacts'): EpochRecord[] {
  const record = latestRecords(artifacts).find((r) => r.gate === gate);
  const dir = record ? modelDirOf(record) : undefined;
  const path = dir ? join(dir, 'history.json') : '';
  if (!path || !existsSync(path)) throw new InputError(`no training history recorded by gate ${gate} in ${artifacts}/gates.jsonl`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Show a markdown file (a report) in the notebook. */
export function showMarkdown(path: string): void {
  if (!existsSync(path)) throw new InputError(`${path}: no such report (its gate has not run)`);
  const text = readFileSync(path, 'utf8');
  display({ toMimeBundle: () => ({ 'text/markdown': text, 'text/plain': text }) });
}

/** The validation labels and probabilities before / after calibration that the calibration gate recorded. */
export function calibrationCurves(artifacts = 'artifacts'): { labels: number[]; raw: number[]; calibrated: number[]; method: string } {
  const record = latestRecords(artifacts).find((r) => r.gate === 'calibration');
  const file = record?.artifacts.find((a) => a.path.endsWith('calibration.json'))?.path;
  if (!file || !existsSync(file)) throw new InputError(`no calibration recorded in ${artifacts}/gates.jsonl: run the calibration gate first`);
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  return { ...saved.curves, method: saved.method };
}

/** Some metrics of a record, in the order asked (a notebook's short summary). */
export function pick(metrics: Record<string, number | null>, keys: string[]): Record<string, number | null> {
  return Object.fromEntries(keys.map((k) => [k, metrics[k] ?? null]));
}
