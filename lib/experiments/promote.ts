import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { applyCalibrator, type CalibratorState } from '../eval/calibrate';
import { isSymbolIndicator } from '../features/symbolColumns';
import { mcnemar } from '../eval/significance';
import { latestByGate, verifyLedger } from '../gates/ledger';
import { splitOfSymbol } from '../split/symbols';
import { symbolSlug } from '../pipeline/symbolJudge';
import type { GateRecord } from '../gates/record';
import { loadModel, readModelDir, savedInputs } from '../models';
import type { ExperimentConfig } from '../pipeline/config';
import { loadConfig } from '../pipeline/configFile';
import { loadConfiguredData } from '../pipeline/configuredData';
import { RunContext } from '../pipeline/context';
import { TEST_READ } from '../pipeline/gates/finalization';
import { appendEvent, baseProvenance, inputsSha256, newRunId } from '../pipeline/runner';
import { workflowGates } from '../pipeline/workflows';
import { partEnds, prepareForPrediction } from '../tensors/prepare';
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
  /** the entry written (or, in a dry run, that would be); the first of `entries` */
  entry: RegistryEntry | null;
  /** every entry written: one, or one per symbol that passed for a model per symbol */
  entries: RegistryEntry[];
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
 * Promote an experiment's final model (or, for a model per symbol, each symbol's model that
 * passed — the final gate's k-of-n rule held): refuse (naming every failing check, writing
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
  const final = [...records].reverse().find((r) => r.gate === finalGate && r.symbol === undefined);
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
  const target = config.promotion.target ?? defaultTarget(config);
  // what is promoted: the final model — or, for a model per symbol, each symbol's that passed (k of n: the final gate judged it)
  const units = final?.status === 'pass' ? promotionUnits(records, final, name, target) : [];
  for (const u of units.length ? units : [null]) for (const t of profileChecks(config, u?.record ?? final, u?.symbol)) checks.push(t);

  const registry = readRegistry();
  const champions = new Map<PromotionUnit, RegistryEntry>();
  const challengers = new Map<PromotionUnit, NonNullable<RegistryEntry['challenger']>>();
  for (const u of checks.every((c) => c.ok) ? units : []) {
    const champion = championOf(registry, u.target);
    if (!champion) continue;
    champions.set(u, champion);
    const vs = await compareWithChampion(await entryModelDir(champion, o.storeOptions), champion, exp, config, records, u);
    const worse = vs.challenger < vs.champion;
    challengers.set(u, { champion: `${champion.name} v${champion.version}`, champion_accuracy: vs.champion, challenger_accuracy: vs.challenger, mcnemar_p: vs.p, windows: vs.windows, forced: worse && o.forceReason ? o.forceReason : null });
    check(`not worse than the champion${u.symbol ? ` (${u.symbol})` : ''}`, !worse || Boolean(o.forceReason),
      `on ${vs.windows} held-out windows${u.symbol ? ` of ${u.symbol}` : ''}: challenger ${vs.challenger.toFixed(4)} vs champion ${champion.name} v${champion.version} ${vs.champion.toFixed(4)} (McNemar p = ${vs.p.toFixed(4)})${worse && o.forceReason ? ` — forced: ${o.forceReason}` : worse ? ' (--force --reason "…" overrides, and is recorded)' : ''}`);
  }
  if (checks.some((c) => !c.ok)) {
    if (o.dryRun) return { checks, entry: null, entries: [], writes: [] };
    throw new PromotionRefusedError(checks);
  }

  const plans = units.map((u) => {
    const version = Math.max(0, ...registry.entries.filter((e) => e.name === u.name).map((e) => e.version)) + 1;
    const promotedDir = join(PROMOTED, u.name, `v${version}`);
    const files = ['model.json', 'weights.bin'].map((f) => join(promotedDir, f));
    const storedAt = o.to ? `${o.to.replace(/\/+$/, '')}/${u.name}/v${version}` : undefined;
    const meta = readModelDir(u.modelDir).meta as Record<string, unknown> & { calibrator?: CalibratorState };
    if (!meta.calibrator) throw new InputError(`${u.modelDir}/model.json has no calibrator: the final gate saves one; run it again`);
    return { u, version, promotedDir, files, storedAt, store: storedAt ? storeFor(storedAt, o.storeOptions) : undefined, meta, configOut: join('configs', `${u.name}.yaml`) };
  });
  const writes = [
    ...plans.flatMap((p) => [...p.files, ...(p.store ? [`${p.store.where}/{model.json,weights.bin}`] : []), p.configOut]),
    exp.ledgerPath, REGISTRY, join('reports', 'leaderboard.csv'), join('reports', 'leaderboard.md'),
  ];
  const symbolsOutcome = symbolOutcome(records, final!);
  const entryOf = (p: (typeof plans)[number], promotionRecord: string | null): RegistryEntry => ({
    name: p.u.name, version: p.version, target: p.u.target, status: 'champion', experiment: exp.id,
    files: p.files.map((path) => ({ path, sha256: o.dryRun ? sha256FileSync(join(p.u.modelDir, basename(path))) : sha256FileSync(path) })),
    model_sha256: p.u.model.sha256, calibrator_sha256: sha256(canonicalJson(p.meta.calibrator)), family: String(p.meta.family),
    ledger: exp.ledgerPath, justified_by: p.u.record.hash, promotion_record: promotionRecord,
    metrics: pickMetrics(p.u.record.metrics), data_sha256: final!.provenance.data_sha256, config_sha256: final!.provenance.config_sha256, code_sha256: final!.provenance.code_sha256,
    git_commit: final!.provenance.git.commit, promoted_at: new Date().toISOString(), promoted_by: who(), challenger: challengers.get(p.u) ?? null,
    ...(p.storedAt ? { stored_at: p.storedAt } : {}),
    ...(p.u.symbol ? { symbol: p.u.symbol } : {}),
    ...(symbolsOutcome ? { symbols: symbolsOutcome } : {}),
  });
  if (o.dryRun) {
    const entries = plans.map((p) => entryOf(p, null));
    return { checks, entry: entries[0] ?? null, entries, writes };
  }

  // the models first (staged, renamed), then the configs, the ledger's records, the registry, the leaderboards
  const promoted: string[] = [];
  try {
    for (const p of plans) {
      const staging = `${p.promotedDir}.new-${process.pid}`;
      mkdirSync(staging, { recursive: true });
      try {
        for (const f of ['model.json', 'weights.bin']) copyFileSync(join(p.u.modelDir, f), join(staging, f));
        renameSync(staging, p.promotedDir);
      } catch (error) {
        rmSync(staging, { recursive: true, force: true });
        throw error;
      }
      promoted.push(p.promotedDir);
      if (p.store) await pushArtifacts(p.promotedDir, p.store, { log });
    }
  } catch (error) {
    for (const dir of promoted) rmSync(dir, { recursive: true, force: true }); // nothing promoted unless every model reached its place (and its store)
    throw error;
  }
  const entries: RegistryEntry[] = [];
  for (const p of plans) {
    writeFileAtomic(p.configOut, `# ${p.u.name} v${p.version}: promoted from experiment ${exp.id} (record ${p.u.record.hash.slice(0, 12)}…)${p.u.symbol ? ` for ${p.u.symbol}` : ''} — gatebook exp promote\n${readFileSync(exp.configPath, 'utf8')}`);
    const c = challengers.get(p.u);
    const record = await appendEvent(exp.ledgerPath, newRunId(), config, { ...base, data_sha256: dataSha }, {
      gate: 'promotion', inputs, note: `promoted as ${p.u.name} v${p.version} (target ${p.u.target}) from record ${p.u.record.hash.slice(0, 12)}…${symbolsOutcome ? ` (${symbolsOutcome.rule}: passed ${symbolsOutcome.passed.join(', ')}${symbolsOutcome.failed.length ? `; failed ${symbolsOutcome.failed.join(', ')}` : ''})` : ''}${c ? `; vs champion ${c.champion}: ${c.challenger_accuracy?.toFixed(4)} vs ${c.champion_accuracy?.toFixed(4)}, McNemar p ${c.mcnemar_p?.toFixed(4)}${c.forced ? `, forced: ${c.forced}` : ''}` : ''}`,
      metrics: { version: p.version, ...(c ? { champion_accuracy: c.champion_accuracy, challenger_accuracy: c.challenger_accuracy, mcnemar_p: c.mcnemar_p } : {}) },
      artifacts: p.files.map((path) => ({ path, sha256: sha256FileSync(path) })),
    });
    entries.push(entryOf(p, record.hash));
  }
  const now = new Date().toISOString();
  const retiring = new Map([...champions].map(([u, e]) => [e, plans.find((p) => p.u === u)!]));
  const kept = registry.entries.map((e) => {
    const by = retiring.get(e);
    return by ? { ...e, status: 'retired' as const, retired_at: now, retired_by: `${by.u.name} v${by.version}` } : e;
  });
  writeRegistry({ ...registry, entries: [...kept, ...entries] });
  writeLeaderboard(readRegistry());
  for (const e of entries) {
    const retired = [...retiring].find(([, p]) => p.u.name === e.name)?.[0];
    log(`promoted ${exp.id} as ${e.name} v${e.version} (target ${e.target})${retired ? `; ${retired.name} v${retired.version} retired` : ''}`);
  }
  return { checks, entry: entries[0] ?? null, entries, writes };
}

/** One model a promotion writes: the final model, or one symbol's of a model per symbol. */
interface PromotionUnit {
  name: string;
  target: string;
  /** the record that justifies it: the final gate's, or the symbol's own */
  record: GateRecord;
  model: { path: string; sha256: string };
  modelDir: string;
  symbol?: string;
}

/**
 * The final model — or, when the final gate judged one model per symbol (its records carry
 * the symbol, its own record only counts them), each symbol's model that passed, as
 * `<name>-<symbol>` for target `<target>-<symbol>`.
 */
function promotionUnits(records: GateRecord[], final: GateRecord, name: string, target: string): PromotionUnit[] {
  const own = (r: GateRecord) => r.artifacts.find((a) => a.path.endsWith('/model.json') || a.path === 'model.json');
  const bySymbol = records.filter((r) => r.run === final.run && r.gate === final.gate && r.symbol !== undefined);
  if (bySymbol.length && bySymbol.every((r) => own(r))) {
    return bySymbol.filter((r) => r.status === 'pass').map((r) => {
      const slug = symbolSlug(r.symbol!).replace(/\./g, '-');
      const model = own(r)!;
      return { name: `${name}-${slug}`, target: `${target}-${slug}`, record: r, model, modelDir: dirname(model.path), symbol: r.symbol };
    });
  }
  const model = own(final);
  return model ? [{ name, target, record: final, model, modelDir: dirname(model.path) }] : [];
}

/** The k-of-n outcome of a final gate over several symbols (its records of each symbol), for the registry. */
function symbolOutcome(records: GateRecord[], final: GateRecord): RegistryEntry['symbols'] {
  const bySymbol = records.filter((r) => r.run === final.run && r.gate === final.gate && r.symbol !== undefined);
  if (!bySymbol.length) return undefined;
  const k = final.checks.find((c) => c.metric === 'symbols_passed')?.threshold;
  return {
    rule: `${typeof k === 'number' ? k : '?'} of ${bySymbol.length}`,
    passed: bySymbol.filter((r) => r.status === 'pass').map((r) => r.symbol!),
    failed: bySymbol.filter((r) => r.status !== 'pass').map((r) => r.symbol!),
  };
}

/** The config's promotion profile as checks on the final record's metrics (none configured: the gates' own thresholds stand). */
function profileChecks(config: ExperimentConfig, final: GateRecord | undefined, symbol?: string): PromotionCheck[] {
  const p = config.promotion;
  const m = final?.metrics ?? {};
  const of = symbol ? ` (${symbol})` : '';
  const out: PromotionCheck[] = [];
  const need = (metric: string, op: '>=' | '<=', threshold: number | undefined) => {
    if (threshold === undefined) return;
    const value = m[metric];
    const ok = typeof value === 'number' && (op === '>=' ? value >= threshold : value <= threshold);
    out.push({ check: `promotion.${op === '>=' ? 'min' : 'max'}_${metric}${of}`, ok, detail: `${metric} = ${typeof value === 'number' ? value.toFixed(4) : 'missing'} (${op} ${threshold}, config promotion:)` });
  };
  need('test_accuracy', '>=', p.min_test_accuracy);
  need('test_accuracy_lo', '>=', p.min_test_accuracy_lo);
  need('test_ece', '<=', p.max_test_ece);
  if (out.length === 0 && !symbol) out.push({ check: 'promotion thresholds', ok: true, detail: 'none beyond the gates\' own (config promotion: sets them)' });
  return out;
}

/** What a champion is the champion of: the data and the label horizon (config promotion.target overrides). */
export function defaultTarget(config: ExperimentConfig): string {
  const d = config.data;
  const data = d.source === 'file' ? basename(d.path).replace(/\.[^.]+$/, '') : d.source === 'embedded' && d.variant === 'three-symbol' ? 'embedded-three-symbol' : d.source;
  return `${data}-h${config.features.horizon}`;
}

/**
 * Both models on the challenger's held-out windows (its test split, on its recorded
 * feature frame; each model with its own features, scaler, window and calibrator): accuracy
 * of each and McNemar's exact p. The windows are the ones both can read.
 */
async function compareWithChampion(championDir: string, champion: RegistryEntry, exp: Experiment, config: ExperimentConfig, records: GateRecord[], unit: PromotionUnit): Promise<{ champion: number; challenger: number; p: number; windows: number }> {
  const ctx = new RunContext(config, exp.artifactsDir, () => {}, 'promotion', latestByGate(records));
  const frame = ctx.featureFrame();
  const split = unit.symbol ? splitOfSymbol(ctx.split(), unit.symbol) : ctx.split();
  const dirs = [championDir, unit.modelDir];
  const windows = Math.max(...dirs.map((d) => savedInputs(readModelDir(d)).window));
  const ends = partEnds(split, 'test', windows);
  const [votesChampion, votesChallenger, labels] = await (async () => {
    let y: number[] = [];
    const votes: number[][] = [];
    for (const dir of dirs) {
      const saved = readModelDir(dir);
      const inputs = savedInputs(saved);
      const missing = inputs.featureNames.filter((f) => !frame.columns.includes(f) && !isSymbolIndicator(f));
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
