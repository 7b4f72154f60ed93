import { existsSync, readFileSync } from 'node:fs';
import { ledgerPathOf } from '../gates/ledger';
import * as queries from '../gates/queries';
import type { GateRecord } from '../gates/record';
import { display, inKernel } from '../kernel/display';
import { widgetsAvailable } from '../kernel/widgets';
import type { ExperimentConfig } from '../pipeline/config';
import { configWith } from '../pipeline/configFile';
import { calibrationCurves as recordedCurves } from '../pipeline/gates';
import { runPipeline, type PipelineResult } from '../pipeline/runner';
import type { EpochRecord, TrainCallbacks } from '../train/loop';
import { notebookProgress } from './progress';
import { trainingWidget } from './trainingWidget';
import { CheckFailedError, InputError, InterruptedError } from '../util/errors';

/** Where a notebook's gates read and write: the parameters every phase notebook has. */
export interface NotebookRunOptions {
  /** A config file, a parsed config, or '' for the embedded default. */
  config?: string | ExperimentConfig;
  artifacts?: string;
  /** The ledger ('' = <artifacts>/gates.jsonl). */
  ledger?: string;
  force?: boolean;
  /** `phases` (default) or `gated` */
  workflow?: string;
  log?: (line: string) => void;
  /** Live training progress in the notebook (default true): a widget with a Stop button where the frontend has widgets, else an output updated in place. */
  progress?: boolean;
}

/** How a notebook watches each model train: the widget in a frontend with widgets, an updating output in other kernels' clients, nothing outside a kernel. */
function trainingProgress(label: string): TrainCallbacks | undefined {
  if (widgetsAvailable()) return trainingWidget(label);
  return inKernel() ? notebookProgress(label) : undefined;
}

/**
 * How a notebook records a gate: run the gates `from` … `to` exactly as `gatebook pipeline
 * --from --to` does (the notebook path and the CLI path record the same gates), and throw
 * when one fails or errors, so a notebook run headlessly fails loudly at the cell that ran it.
 */
export async function runGates(from: string, to: string = from, o: NotebookRunOptions = {}): Promise<{ result: PipelineResult; records: GateRecord[] }> {
  const config = typeof o.config === 'object' ? o.config : configWith(o.config ?? '');
  const artifactsDir = o.artifacts ?? 'artifacts';
  const ledgerPath = ledgerPathOf(artifactsDir, o.ledger);
  const result = await runPipeline({
    config, artifactsDir, ledgerPath, from, to, force: o.force, workflow: o.workflow, log: o.log ?? ((l) => console.log(l)),
    trainingProgress: o.progress === false ? undefined : trainingProgress,
  });
  const records = queries.intactRecords(ledgerPath);
  if (result.interrupted) {
    const s = result.stoppedAt;
    throw new InterruptedError(s ? `gate ${s.gate} recorded as error: ${s.record?.error ?? result.interrupted}` : `interrupted (${result.interrupted}) between gates`);
  }
  if (result.stoppedAt) {
    const s = result.stoppedAt;
    const message = `gate ${s.gate} ${s.record?.status ?? 'failed'}: ${s.issues[0]?.message ?? s.record?.error ?? 'see the ledger'}`;
    throw s.error instanceof InputError ? new InputError(message) : new CheckFailedError(message);
  }
  return { result, records };
}

/** Every record on the intact chain of a notebook's ledger, oldest first. */
export function allRecords(artifacts = 'artifacts', ledger?: string): GateRecord[] {
  return queries.intactRecords(ledgerPathOf(artifacts, ledger));
}

/** The latest record of each gate in a notebook's ledger (for its closing table). */
export function latestRecords(artifacts = 'artifacts', ledger?: string): GateRecord[] {
  return queries.latestRecords(ledgerPathOf(artifacts, ledger));
}

/** The training history of the model a gate recorded (baseline, optimization, finalization). */
export function modelHistory(gate: string, artifacts = 'artifacts', ledger?: string): EpochRecord[] {
  return queries.modelHistory(ledgerPathOf(artifacts, ledger), gate);
}

/** The validation labels and probabilities before / after calibration that the calibration gate recorded. */
export function calibrationCurves(artifacts = 'artifacts', ledger?: string): ReturnType<typeof recordedCurves> {
  return recordedCurves(ledgerPathOf(artifacts, ledger));
}

/** Show a markdown file (a report) in the notebook. */
export function showMarkdown(path: string): void {
  if (!existsSync(path)) throw new InputError(`${path}: no such report (its gate has not run)`);
  const text = readFileSync(path, 'utf8');
  display({ toMimeBundle: () => ({ 'text/markdown': text, 'text/plain': text }) });
}

/** Some metrics of a record, in the order asked (a notebook's short summary). */
export function pick(metrics: Record<string, number | null>, keys: string[]): Record<string, number | null> {
  return Object.fromEntries(keys.map((k) => [k, metrics[k] ?? null]));
}
