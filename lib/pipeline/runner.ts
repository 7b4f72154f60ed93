import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CheckFailedError, GatebookError, InputError } from '../util/errors';
import { canonicalJson, sha256, sha256File } from '../util/hash';
import { configSha256, type ExperimentConfig } from '../experiments/config';
import { inDependencyOrder } from '../gates/definitions';
import { workflowGates } from './workflows';
import { evaluateChecks, type CheckIssue } from '../gates/check';
import { appendRecord, latestByGate, verifyLedger } from '../gates/ledger';
import { codeSha256, deviceName, gitState, host, versions } from '../gates/provenance';
import type { GateRecord, Provenance } from '../gates/record';
import type { GateId, GateSpec } from '../gates/spec';
import { RunContext } from './context';
import { deviceReport, selectBackend } from '../backend';
import { getPhase } from './phases';

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
  /** Gate declarations (default: the workflow's); tests pass their own. */
  gates?: readonly GateSpec[];
}

export interface GateOutcome {
  gate: GateId;
  action: 'ran' | 'skipped-same-inputs' | 'skipped-by-decision';
  record: GateRecord | null;
  issues: CheckIssue[];
}

export interface PipelineResult {
  run: string;
  outcomes: GateOutcome[];
  /** The gate that stopped the run, if any. */
  stoppedAt: GateOutcome | null;
  ok: boolean;
}

/**
 * Run the gates in dependency order (only those with a phase to measure them), from
 * `from` to `to`: each gate's requirements must have a passing record; a gate that passed
 * with the same inputs (code, config, data) and intact artifacts is skipped unless `force`;
 * each run gate is judged and appended to the ledger; the first failure stops the run
 * unless the gate routes on failure (the 5-phase decision tree).
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? (() => {});
  const artifactsDir = options.artifactsDir ?? 'artifacts';
  const ledgerPath = options.ledgerPath ?? `${artifactsDir}/gates.jsonl`;
  const run = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const gates = options.gates ?? workflowGates(options.workflow);
  const selected = selectGates(gates, options.from, options.to);
  const ledger = verifyLedger(ledgerPath);
  if (ledger.firstBad) {
    throw new InputError(`${ledgerPath} line ${ledger.firstBad.line}: ${ledger.firstBad.reason}. The chain is broken: no gate runs on it. Inspect it with \`gatebook gates verify\`, then move it aside to start a new ledger.`);
  }
  const latest = latestByGate(ledger.records);
  const ctx = new RunContext(options.config, artifactsDir, log, run, latest);
  const base = await baseProvenance(options.config);
  // decisions made by gates that ran before this selection still hold (`--from diagnostics`
  // after a baseline that passed skips diagnostics and optimization)
  const skipped = new Set<GateId>(
    gates
      .filter((g) => !selected.includes(g) && latest.get(g.id)?.status === 'pass')
      .flatMap((g) => g.skipOnPass ?? []),
  );
  const outcomes: GateOutcome[] = [];
  for (const spec of selected) {
    if (skipped.has(spec.id)) {
      log(`– ${spec.id}: skipped by the decision tree`);
      outcomes.push({ gate: spec.id, action: 'skipped-by-decision', record: null, issues: [] });
      continue;
    }
    requirePassed(spec, latest);
    const dataSha = spec.id === 'env' ? null : ctx.data().sha256;
    const inputs = sha256(canonicalJson({ code: base.code_sha256, config: base.config_sha256, data: dataSha }));
    const previous = latest.get(spec.id);
    if (!options.force && previous?.status === 'pass' && previous.inputs_sha256 === inputs && (await artifactsIntact(previous))) {
      log(`✓ ${spec.id}: skipped, passed with the same inputs at ${previous.finished} (record ${previous.hash.slice(0, 10)}…; --force reruns)`);
      outcomes.push({ gate: spec.id, action: 'skipped-same-inputs', record: previous, issues: [] });
      for (const g of spec.skipOnPass ?? []) skipped.add(g); // the decision it made then still holds
      continue;
    }
    const outcome = await runGate(spec, ctx, { run, base, dataSha, inputs, latest, ledgerPath, log });
    latest.set(spec.id, outcome.record!);
    outcomes.push(outcome);
    if (outcome.record!.status === 'pass') {
      for (const g of spec.skipOnPass ?? []) skipped.add(g);
    } else if (!(outcome.record!.status === 'fail' && spec.onFail?.some((g) => selected.some((s) => s.id === g)))) {
      // a failure routes on only where a gate it routes to can run; otherwise it stops the run
      return { run, outcomes, stoppedAt: outcome, ok: false };
    }
  }
  return { run, outcomes, stoppedAt: null, ok: true };
}

interface GateRun {
  run: string;
  base: Omit<Provenance, 'data_sha256'>;
  dataSha: string | null;
  inputs: string;
  latest: Map<string, GateRecord>;
  ledgerPath: string;
  log: (line: string) => void;
}

async function runGate(spec: GateSpec, ctx: RunContext, g: GateRun): Promise<GateOutcome> {
  const started = new Date();
  const phase = getPhase(spec.id)!;
  let metrics: Record<string, number | null> = {};
  let artifacts: Array<{ path: string; sha256: string }> = [];
  let error: string | null = null;
  let note: string | undefined;
  try {
    const out = await phase(ctx);
    metrics = out.metrics;
    note = out.note;
    artifacts = await Promise.all(out.artifacts.map(async (path) => ({ path, sha256: await sha256File(path) })));
  } catch (e) {
    if (!(e instanceof GatebookError)) throw e;
    error = e.message;
  }
  // another gate's latest measurement: a failed gate still measured (a baseline below target
  // is still the baseline to beat); a gate that errored did not
  const lookup = (gate: string, metric: string) => {
    const r = g.latest.get(gate);
    return r && r.status !== 'error' ? (r.metrics[metric] ?? null) : null;
  };
  const judged = error ? { checks: [], issues: [] } : evaluateChecks(spec, metrics, ctx.config.gates, lookup);
  const status = error ? 'error' : judged.issues.length === 0 ? 'pass' : 'fail';
  const finished = new Date();
  const decision = status === 'pass' && spec.skipOnPass?.length ? `${spec.id} passed → skip ${spec.skipOnPass.join(', ')}`
    : status === 'fail' && spec.onFail?.length ? `${spec.id} failed → ${spec.onFail.join(' → ')}` : null;
  const record = await appendRecord(g.ledgerPath, {
    schema: 1, gate: spec.id, phase: spec.phase, run: g.run, experiment: ctx.config.name, status,
    metrics, checks: judged.checks, artifacts,
    provenance: { ...g.base, data_sha256: g.dataSha },
    inputs_sha256: g.inputs, decision, error,
    started: started.toISOString(), finished: finished.toISOString(),
    duration_s: (finished.getTime() - started.getTime()) / 1000,
  });
  const mark = status === 'pass' ? '✓' : '✗';
  g.log(`${mark} ${spec.id}: ${status} in ${record.duration_s.toFixed(1)} s — ${spec.title}${decision ? ` (${decision})` : ''}`);
  if (note) g.log(`    ${note}`);
  for (const issue of judged.issues) g.log(`    ${issue.message}`);
  if (error) g.log(`    error: ${error}`);
  return { gate: spec.id, action: 'ran', record, issues: judged.issues };
}

/** The declared gates that have a phase, in dependency order, between `from` and `to`. */
export function selectGates(gates: readonly GateSpec[], from?: string, to?: string): GateSpec[] {
  const order = inDependencyOrder(gates).filter((g) => getPhase(g.id));
  const ids = order.map((g) => g.id as string);
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

function requirePassed(spec: GateSpec, latest: Map<string, GateRecord>): void {
  const missing = spec.requires.filter((r) => latest.get(r)?.status !== 'pass');
  if (missing.length > 0) {
    throw new CheckFailedError(
      `gate ${spec.id} requires ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no passing record in the ledger; ` +
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

async function baseProvenance(config: ExperimentConfig): Promise<Omit<Provenance, 'data_sha256'>> {
  const backend = await selectBackend(config.backend);
  const gpu = deviceReport().gpu;
  return {
    git: gitState(),
    code_sha256: codeSha256(),
    config_sha256: configSha256(config),
    seed: config.seed,
    backend: backend.name,
    device: gpu ? `${gpu.name} (${gpu.memoryGb} GB)` : deviceName(),
    versions: versions(),
    host: host(),
  };
}
