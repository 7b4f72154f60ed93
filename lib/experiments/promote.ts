import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { applyCalibrator, type CalibratorState } from '../eval/calibrate';
import { mcnemar } from '../eval/significance';
import { verifyLedger } from '../gates/ledger';
import type { GateRecord } from '../gates/record';
import { loadModel, readModelDir, savedInputs } from '../models';
import type { ExperimentConfig } from '../pipeline/config';
import { loadConfig } from '../pipeline/configFile';
import { loadConfiguredData } from '../pipeline/configuredData';
import { RunContext } from '../pipeline/context';
import { TEST_READ } from '../pipeline/gates/finalization';
import { appendEvent, baseProvenance, inputsSha256, newRunId } from '../pipeline/runner';
import { workflowGates } from '../pipeline/workflows';
import { prepareForPrediction } from '../tensors/prepare';
import { windowEnds } from '../tensors/windows';
import { pushArtifacts, storeFor, type StoreOptions } from '../storage';
import { writeFileAtomic } from '../util/atomic';
import { CheckFailedError, InputError } from '../util/errors';
import { canonicalJson, sha256, sha256FileSync } from '../util/hash';
import { liveHolder } from '../util/lock';
import { validName, type Experiment } from './experiment';
import { writeLeaderboard } from './leaderboard';
import { championOf, entryModelDir, PROMOTED, readRegistry, REGISTRY, writeRegistry, type RegistryEntry } from './registry';
import { runbookProblems } from './status';

export interface PromotionCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface PromoteOptions {
  /** the production name (configs/<name>.yaml, models/promoted/<name>/); default: the experiment's name */
  name?: string;
  dryRun?: boolean;
  /** promote a challenger that is worse than the champion, recording why */
  forceReason?: string;
  /** also push the promoted folder to this store address (`s3://bucket/prefix`): it lands at <to>/<name>/v<N>/ */
  to?: string;
  storeOptions?: StoreOptions;
  log?: (line: string) => void;
}

export interface PromotionResult {
  checks: PromotionCheck[];
  /** the entry written (or, in a dry run, that would be) */
  entry: RegistryEntry | null;
  /** the files written (or that would be) */
  writes: string[];
}

/** Refused: the failing checks, each named (exit 1; nothing was written). */
export class PromotionRefusedError extends CheckFailedError {
  constructor(readonly checks: PromotionCheck[]) {
    super(`promotion refused: ${checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`).join('; ')} — nothing was written`);
  }
}

/**
 * Promote an experiment's final model: refuse (naming every failing check, writing
 * nothing) unless its ledger verifies, its workflow's final gate passed with the very
 * inputs (code, config, data) being promoted and its files are intact, its runbooks verify
 * (manual items signed), the test split was read once, the config's promotion thresholds
 * hold, and — when a champion holds the same target — it is not worse on the same
 * held-out windows. Then copy the model (its calibrator is in model.json) to
 * `models/promoted/<name>/v<N>/`, write `configs/<name>.yaml`, record a `promotion` record
 * in the experiment's ledger, retire the old champion and append the entry to
 * `models/registry.json`, and rewrite the leaderboards.
 */
export async function promoteExperiment(exp: Experiment, o: PromoteOptions = {}): Promise<PromotionResult> {
  const log = o.log ?? (() => {});
  const name = validName(o.name ?? exp.metadata.name);
  const running = liveHolder(join(exp.artifactsDir, '.run'));
  if (running) throw new InputError(`experiment ${exp.id} is running (pid ${running.pid} on ${running.host} since ${running.started}): promote it when the run has ended`);
  if (!existsSync(exp.ledgerPath)) throw new InputError(`experiment ${exp.id} has not run (no ledger at ${exp.ledgerPath}): \`gatebook exp run ${exp.id}\` first`);
  const config = loadConfig(exp.configPath);
  const checks: PromotionCheck[] = [];
  const check = (c: string, ok: boolean, detail: string) => checks.push({ check: c, ok, detail });

  const ledger = verifyLedger(exp.ledgerPath);
  check('ledger verifies', !ledger.firstBad, ledger.firstBad ? `${exp.ledgerPath} line ${ledger.firstBad.line}: ${ledger.firstBad.reason}` : `${ledger.records.length} records, chain and anchor intact`);
  const records = ledger.records;
  const finalGate = workflowGates(exp.metadata.workflow).at(-1)!.id;
  const final = [...records].reverse().find((r) => r.gate === finalGate);
  const exported = final?.artifacts.find((a) => a.path.endsWith('model.json'));
  check('final gate passed', final?.status === 'pass' && Boolean(exported),
    !final ? `no record of gate ${finalGate}: run the experiment to the end` : final.status !== 'pass' ? `${finalGate} ${final.status} at ${final.finished}` : exported ? `${finalGate} passed at ${final.finished} (record ${final.hash.slice(0, 10)}…)` : `${finalGate} exports no model (the ${exp.metadata.workflow} workflow): promote a phases experiment`);
  const base = await baseProvenance(config);
  const dataSha = loadConfiguredData(config).sha256;
  const inputs = inputsSha256(base.code_sha256, base.config_sha256, dataSha);
  if (final) {
    const changed = [
      final.provenance.code_sha256 !== base.code_sha256 ? `code (${final.provenance.code_sha256.slice(0, 10)}… then, ${base.code_sha256.slice(0, 10)}… now)` : '',
      final.provenance.config_sha256 !== base.config_sha256 ? `config (${exp.configPath} changed since)` : '',
      final.provenance.data_sha256 !== dataSha ? `data (${final.provenance.data_sha256?.slice(0, 10)}… then, ${dataSha.slice(0, 10)}… now)` : '',
    ].filter(Boolean);
    check('same inputs', final.inputs_sha256 === inputs && changed.length === 0, changed.length ? `changed since ${finalGate} passed: ${changed.join(', ')} — run it again (\`gatebook exp run ${exp.id}\`)` : 'code, config and data as when the final gate passed');
    const bad = final.artifacts.filter((a) => !existsSync(a.path) || sha256FileSync(a.path) !== a.sha256).map((a) => a.path);
    check('model files intact', bad.length === 0, bad.length ? `differ from the final record's sha256 (or are missing): ${bad.join(', ')}` : `${final.artifacts.length} files match the final record`);
  }
  const open = runbookProblems(exp, records);
  check('runbooks verify', open.length === 0, open.length ? open.slice(0, 3).join('; ') + (open.length > 3 ? ` (+${open.length - 3} more)` : '') : 'every item holds or is signed');
  const reads = records.filter((r) => r.gate === TEST_READ).length;
  check('test split read once', reads === 1, `${reads} test read(s) recorded`);
  const thresholds = profileChecks(config, final);
  for (const t of thresholds) checks.push(t);

  const registry = readRegistry();
  const target = config.promotion.target ?? defaultTarget(config);
  const champion = championOf(registry, target);
  let challenger: RegistryEntry['challenger'] = null;
  if (champion && checks.every((c) => c.ok) && final) {
    const vs = await compareWithChampion(await entryModelDir(champion, o.storeOptions), champion, exp, config, records, final);
    const worse = vs.challenger < vs.champion;
    challenger = { champion: `${champion.name} v${champion.version}`, champion_accuracy: vs.champion, challenger_accuracy: vs.challenger, mcnemar_p: vs.p, windows: vs.windows, forced: worse && o.forceReason ? o.forceReason : null };
    check('not worse than the champion', !worse || Boolean(o.forceReason),
      `on ${vs.windows} held-out windows: challenger ${vs.challenger.toFixed(4)} vs champion ${champion.name} v${champion.version} ${vs.champion.toFixed(4)} (McNemar p = ${vs.p.toFixed(4)})${worse && o.forceReason ? ` — forced: ${o.forceReason}` : worse ? ' (--force --reason "…" overrides, and is recorded)' : ''}`);
  }
  if (checks.some((c) => !c.ok)) {
    if (o.dryRun) return { checks, entry: null, writes: [] };
    throw new PromotionRefusedError(checks);
  }

  const version = Math.max(0, ...registry.entries.filter((e) => e.name === name).map((e) => e.version)) + 1;
  const modelDir = dirname(exported!.path);
  const promotedDir = join(PROMOTED, name, `v${version}`);
  const files = ['model.json', 'weights.bin'].map((f) => join(promotedDir, f));
  const configOut = join('configs', `${name}.yaml`);
  const storedAt = o.to ? `${o.to.replace(/\/+$/, '')}/${name}/v${version}` : undefined;
  const store = storedAt ? storeFor(storedAt, o.storeOptions) : undefined;
  const writes = [...files, ...(store ? [`${store.where}/{model.json,weights.bin}`] : []), configOut, exp.ledgerPath, REGISTRY, join('reports', 'leaderboard.csv'), join('reports', 'leaderboard.md')];
  const meta = readModelDir(modelDir).meta as Record<string, unknown> & { calibrator?: CalibratorState };
  if (!meta.calibrator) throw new InputError(`${modelDir}/model.json has no calibrator: the final gate saves one; run it again`);
  const entryOf = (promotionRecord: string | null): RegistryEntry => ({
    name, version, target, status: 'champion', experiment: exp.id,
    files: files.map((path, i) => ({ path, sha256: o.dryRun ? sha256FileSync(join(modelDir, basename(files[i]))) : sha256FileSync(path) })),
    model_sha256: exported!.sha256, calibrator_sha256: sha256(canonicalJson(meta.calibrator)), family: String(meta.family),
    ledger: exp.ledgerPath, justified_by: final!.hash, promotion_record: promotionRecord,
    metrics: pickMetrics(final!.metrics), data_sha256: final!.provenance.data_sha256, config_sha256: final!.provenance.config_sha256, code_sha256: final!.provenance.code_sha256,
    git_commit: final!.provenance.git.commit, promoted_at: new Date().toISOString(), promoted_by: who(), challenger,
    ...(storedAt ? { stored_at: storedAt } : {}),
  });
  if (o.dryRun) return { checks, entry: entryOf(null), writes };

  // the model first (staged, renamed), then the config, the ledger's record, the registry, the leaderboards
  const staging = `${promotedDir}.new-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    for (const f of ['model.json', 'weights.bin']) copyFileSync(join(modelDir, f), join(staging, f));
    renameSync(staging, promotedDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (store) {
    try {
      await pushArtifacts(promotedDir, store, { log });
    } catch (error) {
      rmSync(promotedDir, { recursive: true, force: true }); // nothing promoted unless it reached the store too
      throw error;
    }
  }
  writeFileAtomic(configOut, `# ${name} v${version}: promoted from experiment ${exp.id} (record ${final!.hash.slice(0, 12)}…) — gatebook exp promote\n${readFileSync(exp.configPath, 'utf8')}`);
  const record = await appendEvent(exp.ledgerPath, newRunId(), config, { ...base, data_sha256: dataSha }, {
    gate: 'promotion', inputs, note: `promoted as ${name} v${version} (target ${target}) from record ${final!.hash.slice(0, 12)}…${challenger ? `; vs champion ${challenger.champion}: ${challenger.challenger_accuracy?.toFixed(4)} vs ${challenger.champion_accuracy?.toFixed(4)}, McNemar p ${challenger.mcnemar_p?.toFixed(4)}${challenger.forced ? `, forced: ${challenger.forced}` : ''}` : ''}`,
    metrics: { version, ...(challenger ? { champion_accuracy: challenger.champion_accuracy, challenger_accuracy: challenger.challenger_accuracy, mcnemar_p: challenger.mcnemar_p } : {}) },
    artifacts: files.map((path) => ({ path, sha256: sha256FileSync(path) })),
  });
  const entry = entryOf(record.hash);
  const now = new Date().toISOString();
  const entries = registry.entries.map((e) => (e === champion ? { ...e, status: 'retired' as const, retired_at: now, retired_by: `${name} v${version}` } : e));
  writeRegistry({ ...registry, entries: [...entries, entry] });
  writeLeaderboard(readRegistry());
  log(`promoted ${exp.id} as ${name} v${version} (target ${target})${champion ? `; ${champion.name} v${champion.version} retired` : ''}`);
  return { checks, entry, writes };
}

/** The config's promotion profile as checks on the final record's metrics (none configured: the gates' own thresholds stand). */
function profileChecks(config: ExperimentConfig, final: GateRecord | undefined): PromotionCheck[] {
  const p = config.promotion;
  const m = final?.metrics ?? {};
  const out: PromotionCheck[] = [];
  const need = (metric: string, op: '>=' | '<=', threshold: number | undefined) => {
    if (threshold === undefined) return;
    const value = m[metric];
    const ok = typeof value === 'number' && (op === '>=' ? value >= threshold : value <= threshold);
    out.push({ check: `promotion.${op === '>=' ? 'min' : 'max'}_${metric}`, ok, detail: `${metric} = ${typeof value === 'number' ? value.toFixed(4) : 'missing'} (${op} ${threshold}, config promotion:)` });
  };
  need('test_accuracy', '>=', p.min_test_accuracy);
  need('test_accuracy_lo', '>=', p.min_test_accuracy_lo);
  need('test_ece', '<=', p.max_test_ece);
  if (out.length === 0) out.push({ check: 'promotion thresholds', ok: true, detail: 'none beyond the gates\' own (config promotion: sets them)' });
  return out;
}

/** What a champion is the champion of: the data and the label horizon (config promotion.target overrides). */
export function defaultTarget(config: ExperimentConfig): string {
  const data = config.data.source === 'file' ? basename(config.data.path).replace(/\.[^.]+$/, '') : config.data.source;
  return `${data}-h${config.features.horizon}`;
}

/**
 * Both models on the challenger's held-out windows (its test split, on its recorded
 * feature frame; each model with its own features, scaler, window and calibrator): accuracy
 * of each and McNemar's exact p. The windows are the ones both can read.
 */
async function compareWithChampion(championDir: string, champion: RegistryEntry, exp: Experiment, config: ExperimentConfig, records: GateRecord[], final: GateRecord): Promise<{ champion: number; challenger: number; p: number; windows: number }> {
  const latest = new Map<string, GateRecord>();
  for (const r of records) latest.set(r.gate, r);
  const ctx = new RunContext(config, exp.artifactsDir, () => {}, 'promotion', latest);
  const frame = ctx.featureFrame();
  const split = ctx.split();
  const dirs = [championDir, dirname(final.artifacts.find((a) => a.path.endsWith('model.json'))!.path)];
  const windows = Math.max(...dirs.map((d) => savedInputs(readModelDir(d)).window));
  const ends = windowEnds(split.test, windows);
  const [votesChampion, votesChallenger, labels] = await (async () => {
    let y: number[] = [];
    const votes: number[][] = [];
    for (const dir of dirs) {
      const saved = readModelDir(dir);
      const inputs = savedInputs(saved);
      const missing = inputs.featureNames.filter((f) => !frame.columns.includes(f));
      if (missing.length) throw new InputError(`the champion ${champion.name} v${champion.version} reads features this experiment's data lacks (${missing.slice(0, 3).join(', ')}): compare on a target with the same features, or set promotion.target`);
      const { source, lastMove } = prepareForPrediction(frame, inputs.featureNames, inputs.scaler, inputs.window);
      const model = loadModel(dir);
      const p = applyCalibrator(saved.meta.calibrator as CalibratorState, await model.predictProba(source, ends, lastMove));
      model.dispose();
      y = Array.from(ends, (e) => source.labels[e]);
      votes.push(Array.from(p, (v) => (v > 0.5 ? 1 : 0)));
    }
    return [votes[0], votes[1], y];
  })();
  const accuracy = (v: number[]) => v.reduce((s, x, i) => s + (x === labels[i] ? 1 : 0), 0) / Math.max(1, v.length);
  return { champion: accuracy(votesChampion), challenger: accuracy(votesChallenger), p: mcnemar(labels, votesChallenger, votesChampion).pValue, windows: ends.length };
}

const KEPT = /^test_(accuracy|accuracy_lo|accuracy_hi|ece|ece_lo|ece_hi|roc_auc|f1|log_loss|brier|n)$|^(majority_test_accuracy|persistence_test_accuracy|p_value_vs_majority|p_value_vs_persistence|val_accuracy)$/;

function pickMetrics(metrics: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(metrics).filter(([k]) => KEPT.test(k)));
}

function who(): string {
  if (process.env.GATEBOOK_USER) return process.env.GATEBOOK_USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
