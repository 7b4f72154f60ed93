import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { adapterLine, deviceReport, selectBackend } from '../backend';
import { evaluateChecks, type CheckIssue } from '../gates/check';
import { appendRecord, latestByGate, verifyLedger } from '../gates/ledger';
import { inDependencyOrder } from '../gates/order';
import { codeSha256, deviceName, gitState, host, versions } from '../gates/provenance';
import type { GateRecord, Provenance } from '../gates/record';
import type { TrainCallbacks } from '../train/loop';
import { beginWork, cancellationToken, InterruptedError } from '../util/cancel';
import { CheckFailedError, GatebookError, InputError } from '../util/errors';
import { canonicalJson, sha256, sha256File } from '../util/hash';
import { acquireLock, LockHeldError, type Lock } from '../util/lock';
import { configSha256, type ExperimentConfig } from './config';
import { RunContext, type LedgerAccess } from './context';
import type { Gate, PhaseOutput } from './gate';
import { workflowGates } from './workflows';

export interface PipelineOptions {
  config: ExperimentConfig;
  artifactsDir?: string;
  ledgerPath?: string;
  from?: string;
  to?: string;
  force?: boolean;
  log?: (line: string) => void;
  /** `phases` (default) or `gated`: which gates run (see workflows.ts). */
  workflow?: string;
  /** The gates (default: the workflow's); tests pass their own. */
  gates?: readonly Gate[];
  /** Who else watches each model's training (a notebook's progress widget), besides the log. */
  trainingProgress?: (label: string) => TrainCallbacks | undefined;
}

export interface GateOutcome {
  gate: string;
  action: 'ran' | 'skipped-same-inputs' | 'skipped-by-decision';
  record: GateRecord | null;
  issues: CheckIssue[];
  /** The error a gate that errored threw (recorded in the ledger as its message). */
  error?: unknown;
}

export interface PipelineResult {
  run: string;
  outcomes: GateOutcome[];
  /** The gate that stopped the run, if any. */
  stoppedAt: GateOutcome | null;
  ok: boolean;
  /** Why the run was cancelled (Ctrl-C, a notebook interrupt), if it was. */
  interrupted?: string;
}

/**
 * Run the gates in dependency order, from `from` to `to`: each gate's requirements must
 * have a passing record; a gate that passed with the same inputs (code, config, data) and
 * intact artifacts is skipped (and says so) unless `force`; each run gate is judged and
 * appended to the ledger — an error inside a gate too, recorded as `error` with its
 * message; the first failure stops the run unless the gate routes on failure (the 5-phase
 * decision tree).
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? (() => {});
  const artifactsDir = options.artifactsDir ?? 'artifacts';
  const ledgerPath = options.ledgerPath ?? `${artifactsDir}/gates.jsonl`;
  const run = newRunId();
  const gates = options.gates ?? workflowGates(options.workflow);
  const selected = selectGates(gates, options.from, options.to);
  const runLock = await lockArtifacts(artifactsDir, options.workflow ?? 'phases');
  const work = beginWork();
  try {
    return await runLocked(options, { run, gates, selected, artifactsDir, ledgerPath, log });
  } finally {
    work.end();
    runLock.release();
  }
}

/**
 * One run per artifacts folder at a time: a second run on the same folder would overwrite
 * the features or split another is training on. It is refused at once, naming the holder;
 * the notebook kernels of a run enter its lock (they inherit its token).
 */
export async function lockArtifacts(artifactsDir: string, workflow: string): Promise<Lock> {
  assertArtifactsDir(artifactsDir);
  mkdirSync(artifactsDir, { recursive: true });
  try {
    return await acquireLock(join(artifactsDir, '.run'), { purpose: `gatebook pipeline --workflow ${workflow} in ${process.cwd()}`, waitMs: 0 });
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    const o = error.owner;
    throw new InputError(`${artifactsDir} is in use by another run: pid ${o.pid} on ${o.host} since ${o.started} (${o.purpose}). Wait for it to finish, or use another --artifacts folder.`);
  }
}

/** Folders a run must never write into: the root, system folders, a home folder itself (`--artifacts /` once wrote /data/validation.json as root). */
const FORBIDDEN = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/root', '/run', '/sbin', '/sys', '/usr', '/var', '/home', '/tmp'];

export function assertArtifactsDir(dir: string): void {
  const abs = resolve(dir);
  if (FORBIDDEN.includes(abs) || abs === homedir()) {
    throw new InputError(`--artifacts ${dir} resolves to ${abs}: gatebook writes its data, models and ledger into that folder; name a folder of its own (e.g. ${join(abs === '/' ? '/tmp' : abs, 'gatebook-artifacts')})`);
  }
}

async function runLocked(
  options: PipelineOptions,
  r: { run: string; gates: readonly Gate[]; selected: Gate[]; artifactsDir: string; ledgerPath: string; log: (line: string) => void },
): Promise<PipelineResult> {
  const { run, gates, selected, artifactsDir, ledgerPath, log } = r;
  const ledger = verifyLedger(ledgerPath);
  if (ledger.firstBad) {
    throw new InputError(`${ledgerPath} line ${ledger.firstBad.line}: ${ledger.firstBad.reason}. The chain is broken: no gate runs on it. Inspect it with \`gatebook gates verify\`; to start a new ledger on purpose, move it aside and run \`gatebook gates anchor --reset --ledger ${ledgerPath}\`.`);
  }
  const latest = latestByGate(ledger.records);
  const base = await baseProvenance(options.config);
  const ctx = new RunContext(options.config, artifactsDir, log, run, latest, ledgerAccess(ledgerPath, run, options.config, base), options.trainingProgress);
  // decisions made by gates that ran before this selection still hold (`--from diagnostics`
  // after a baseline that passed skips diagnostics and optimization)
  const skipped = new Set<string>(
    gates.filter((g) => !selected.includes(g) && latest.get(g.id)?.status === 'pass').flatMap((g) => g.skipOnPass ?? []),
  );
  const outcomes: GateOutcome[] = [];
  const token = cancellationToken();
  for (const gate of selected) {
    const cancelled = token.cancelled();
    if (cancelled) return { run, outcomes, stoppedAt: null, ok: false, interrupted: cancelled };
    if (skipped.has(gate.id)) {
      log(`– ${gate.id}: skipped by the decision tree`);
      outcomes.push({ gate: gate.id, action: 'skipped-by-decision', record: null, issues: [] });
      continue;
    }
    requirePassed(gate, latest);
    // the data is an input of every gate after env: a file that cannot be read is that gate's error, recorded
    let dataSha: string | null = null;
    let dataError: unknown;
    if (gate.id !== 'env') {
      try {
        dataSha = ctx.data().sha256;
        const validated = latest.get('data');
        if (gate.id !== 'data' && validated && validated.provenance.data_sha256 !== dataSha) {
          throw new CheckFailedError(`the data (sha256 ${dataSha.slice(0, 12)}…) changed since gate data validated it (${validated.provenance.data_sha256?.slice(0, 12)}…, record ${validated.hash.slice(0, 10)}…): run the pipeline from the data gate`);
        }
      } catch (e) {
        dataError = e;
      }
    }
    const inputs = inputsSha256(base.code_sha256, base.config_sha256, dataSha);
    const previous = latest.get(gate.id);
    if (dataError === undefined && !options.force && previous?.status === 'pass' && previous.inputs_sha256 === inputs && (await artifactsIntact(previous))) {
      log(`✓ ${gate.id}: skipped — unchanged inputs (code, config, data) and intact artifacts since it passed at ${previous.finished} (record ${previous.hash.slice(0, 10)}…; --force reruns)`);
      outcomes.push({ gate: gate.id, action: 'skipped-same-inputs', record: previous, issues: [] });
      for (const g of gate.skipOnPass ?? []) skipped.add(g); // the decision it made then still holds
      for (const g of branchSkips(previous)) skipped.add(g);
      continue;
    }
    const outcome = await runGate(gate, ctx, { run, base, dataSha, dataError, inputs, latest, ledgerPath, log });
    const record = outcome.record!;
    latest.set(gate.id, record);
    outcomes.push(outcome);
    if (record.status === 'pass') {
      for (const g of [...(gate.skipOnPass ?? []), ...branchSkips(record)]) skipped.add(g);
    } else if (!(record.status === 'fail' && gate.onFail?.some((g) => selected.some((s) => s.id === g)))) {
      // a failure routes on only where a gate it routes to can run; otherwise it stops the run
      if (outcome.error instanceof InterruptedError) {
        removeUnrecorded(join(artifactsDir, 'models', run), verifyLedger(ledgerPath).records);
        return { run, outcomes, stoppedAt: outcome, ok: false, interrupted: token.cancelled() ?? 'interrupted' };
      }
      return { run, outcomes, stoppedAt: outcome, ok: false };
    }
  }
  return { run, outcomes, stoppedAt: null, ok: true };
}

interface GateRun {
  run: string;
  base: Omit<Provenance, 'data_sha256'>;
  dataSha: string | null;
  /** The configured data could not be loaded: the gate does not run, it is recorded with this error. */
  dataError?: unknown;
  inputs: string;
  latest: Map<string, GateRecord>;
  ledgerPath: string;
  log: (line: string) => void;
}

/** The record of a branch a gate took: `skip` in its decision ("… → skip optimization"). */
const SKIP_MARK = ' → skip ';

/** The gates the ledger's latest records skip by decision: those a passing gate skips on pass, or by a branch it recorded. */
export function decisionSkips(latest: Map<string, GateRecord>, gates: readonly Gate[]): Set<string> {
  const out = new Set<string>();
  for (const g of gates) {
    const r = latest.get(g.id);
    if (r?.status === 'pass') for (const s of [...(g.skipOnPass ?? []), ...branchSkips(r)]) out.add(s);
  }
  return out;
}

function branchSkips(record: GateRecord): string[] {
  const at = record.decision?.lastIndexOf(SKIP_MARK) ?? -1;
  return at < 0 ? [] : record.decision!.slice(at + SKIP_MARK.length).split(', ');
}

async function runGate(gate: Gate, ctx: RunContext, g: GateRun): Promise<GateOutcome> {
  const started = new Date();
  const thresholds = ctx.config.gates[gate.id] ?? gate.thresholds.parse({});
  let metrics: Record<string, number | null> = {};
  let artifacts: Array<{ path: string; sha256: string }> = [];
  let error: unknown;
  let note: string | undefined;
  let branch: string | null = null;
  try {
    if (g.dataError !== undefined) throw g.dataError;
    const out = await gate.run(ctx, thresholds);
    metrics = out.metrics;
    note = out.note;
    if (out.perSymbol) {
      // each symbol judged and recorded before the gate's own record, which judges them together (k of n)
      const verdicts = await recordSymbols(gate, ctx, g, thresholds, out.perSymbol, started);
      const passed = verdicts.filter((v) => v.pass).map((v) => v.symbol);
      const failed = verdicts.filter((v) => !v.pass).map((v) => v.symbol);
      metrics = { ...metrics, symbols_passed: passed.length, symbols_total: verdicts.length };
      note = `symbols passed: ${passed.join(', ') || 'none'}; failed: ${failed.join(', ') || 'none'}${note ? ` — ${note}` : ''}`;
    }
    if (out.decision) branch = `${out.decision}${out.skip?.length ? `${SKIP_MARK}${out.skip.join(', ')}` : ''}`;
    artifacts = await Promise.all(out.artifacts.map(async (path) => ({ path, sha256: await sha256File(path) })));
  } catch (e) {
    error = e; // recorded whatever it is: a gate that threw is never missing from the ledger
  }
  // another gate's latest measurement: a failed gate still measured (a baseline below target
  // is still the baseline to beat); a gate that errored did not
  const lookup = (other: string, metric: string) => {
    const r = g.latest.get(other);
    return r && r.status !== 'error' ? (r.metrics[metric] ?? null) : null;
  };
  const judged = error ? { checks: [], issues: [] } : evaluateChecks(gate, metrics, thresholds, lookup);
  const status = error ? 'error' : judged.issues.length === 0 ? 'pass' : 'fail';
  const finished = new Date();
  const decision = status === 'pass' && branch ? branch
    : status === 'pass' && gate.skipOnPass?.length ? `${gate.id} passed${SKIP_MARK}${gate.skipOnPass.join(', ')}`
      : status === 'fail' && gate.onFail?.length ? `${gate.id} failed → ${gate.onFail.join(' → ')}` : null;
  const message = error ? errorMessage(error) : null;
  const record = await appendRecord(g.ledgerPath, {
    schema: 1, gate: gate.id, phase: gate.phase, run: g.run, experiment: ctx.config.name, status,
    metrics, checks: judged.checks, artifacts,
    provenance: { ...g.base, data_sha256: g.dataSha },
    inputs_sha256: g.inputs, decision, error: message,
    started: started.toISOString(), finished: finished.toISOString(),
    duration_s: (finished.getTime() - started.getTime()) / 1000,
  });
  const mark = status === 'pass' ? '✓' : '✗';
  g.log(`${mark} ${gate.id}: ${status} in ${record.duration_s.toFixed(1)} s — ${gate.title}${decision ? ` (${decision})` : ''}`);
  if (note) g.log(`    ${note}`);
  for (const issue of judged.issues) g.log(`    ${issue.message}`);
  if (message) g.log(`    error: ${message}`);
  return { gate: gate.id, action: 'ran', record, issues: judged.issues, ...(error ? { error } : {}) };
}

/** One record per symbol of a gate over several symbols: its metrics judged by the gate's `symbolChecks`. */
async function recordSymbols(
  gate: Gate, ctx: RunContext, g: GateRun, thresholds: Record<string, unknown>,
  perSymbol: NonNullable<PhaseOutput['perSymbol']>, started: Date,
): Promise<Array<{ symbol: string; pass: boolean }>> {
  const verdicts: Array<{ symbol: string; pass: boolean }> = [];
  for (const s of perSymbol) {
    const judged = evaluateChecks({ ...gate, checks: gate.symbolChecks ?? [] }, s.metrics, thresholds, () => null);
    const artifacts = await Promise.all(s.artifacts.map(async (path) => ({ path, sha256: await sha256File(path) })));
    const finished = new Date();
    const status = judged.issues.length === 0 ? 'pass' : 'fail';
    await appendRecord(g.ledgerPath, {
      schema: 1, gate: gate.id, phase: gate.phase, run: g.run, experiment: ctx.config.name, symbol: s.symbol, status,
      metrics: s.metrics, checks: judged.checks, artifacts,
      provenance: { ...g.base, data_sha256: g.dataSha }, inputs_sha256: g.inputs, decision: null, error: null,
      started: started.toISOString(), finished: finished.toISOString(), duration_s: (finished.getTime() - started.getTime()) / 1000,
    });
    g.log(`  ${status === 'pass' ? '✓' : '✗'} ${gate.id} ${s.symbol}: ${status}${judged.issues.length ? ` — ${judged.issues.map((i) => i.message).join('; ')}` : ''}`);
    verdicts.push({ symbol: s.symbol, pass: status === 'pass' });
  }
  return verdicts;
}

/** An error as one line for the ledger: our own errors by their message, anything else with its class. */
function errorMessage(error: unknown): string {
  if (error instanceof GatebookError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** An interrupted run's model folders that no record points at (checkpoints of the gate that was cut short). */
function removeUnrecorded(dir: string, records: GateRecord[]): void {
  if (!existsSync(dir)) return;
  const referenced = records.flatMap((r) => r.artifacts.map((a) => a.path));
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (!referenced.some((p) => p === path || p.startsWith(`${path}/`))) rmSync(path, { recursive: true, force: true });
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}

/** What a gate may write to the ledger before it ends: event records (a test read) with this run's provenance. */
function ledgerAccess(path: string, run: string, config: ExperimentConfig, base: Omit<Provenance, 'data_sha256'>): LedgerAccess {
  return {
    path,
    records: () => verifyLedger(path).records,
    appendEvent: (e) => appendEvent(path, run, config, { ...base, data_sha256: null }, e),
  };
}

/** A run's id: its start time and a few random hex digits (20261128T142114-ec6c6c). */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

/** What a gate's reuse (and a promotion) compares: the sha256 of (code, config, data). */
export function inputsSha256(code: string, config: string, data: string | null): string {
  return sha256(canonicalJson({ code, config, data }));
}

/** An event record (a test read, a promotion): status pass, phase `event`, with the run's provenance. */
export function appendEvent(
  path: string, run: string, config: ExperimentConfig, provenance: Provenance,
  e: { gate: string; metrics: Record<string, number | null>; inputs: string; note: string; artifacts?: Array<{ path: string; sha256: string }> },
): Promise<GateRecord> {
  const now = new Date().toISOString();
  return appendRecord(path, {
    schema: 1, gate: e.gate, phase: 'event', run, experiment: config.name, status: 'pass', metrics: e.metrics, checks: [], artifacts: e.artifacts ?? [],
    provenance, inputs_sha256: e.inputs, decision: e.note, error: null, started: now, finished: now, duration_s: 0,
  });
}

/** The gates in dependency order between `from` and `to`. */
export function selectGates(gates: readonly Gate[], from?: string, to?: string): Gate[] {
  const order = inDependencyOrder(gates);
  const ids = order.map((g) => g.id);
  const index = (name: string | undefined, flag: string, fallback: number) => {
    if (name === undefined) return fallback;
    const i = ids.indexOf(name);
    if (i < 0) throw new InputError(`invalid ${flag}: ${name} (gates that run: ${ids.join(', ')})`);
    return i;
  };
  const start = index(from, '--from', 0);
  const end = index(to, '--to', ids.length - 1);
  if (start > end) throw new InputError(`--from ${from} comes after --to ${to} (order: ${ids.join(' → ')})`);
  return order.slice(start, end + 1);
}

function requirePassed(gate: Gate, latest: Map<string, GateRecord>): void {
  const missing = gate.requires.filter((r) => latest.get(r)?.status !== 'pass');
  if (missing.length > 0) {
    throw new CheckFailedError(
      `gate ${gate.id} requires ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no passing record in the ledger; ` +
        `run them first (e.g. \`gatebook pipeline --from ${missing[0]}\`)`,
    );
  }
}

async function artifactsIntact(record: GateRecord): Promise<boolean> {
  for (const a of record.artifacts) {
    if (!existsSync(a.path) || (await sha256File(a.path)) !== a.sha256) return false;
  }
  return true;
}

/** The provenance every record of a run carries (the data's sha256 is each gate's own). */
export async function baseProvenance(config: ExperimentConfig): Promise<Omit<Provenance, 'data_sha256'>> {
  const backend = await selectBackend(config.backend);
  const gpu = deviceReport().gpu;
  return {
    git: gitState(),
    code_sha256: codeSha256(),
    config_sha256: configSha256(config),
    seed: config.seed,
    backend: backend.name,
    device: backend.adapter ? adapterLine(backend.adapter) : gpu ? `${gpu.name} (${gpu.memoryGb} GB)` : deviceName(),
    versions: versions(),
    host: host(),
  };
}
