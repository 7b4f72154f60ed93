import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pl from 'nodejs-polars';
import { CcxtClient, type ExchangeCredentials } from '../data/ccxtProvider';
import { detectInterval, formatInterval, parseInterval } from '../data/interval';
import { openOhlcv } from '../data/open';
import { symbolsOf } from '../data/ohlcv';
import { applyCalibrator, type CalibratorState } from '../eval/calibrate';
import { buildFeatures, computeFeatures, SEED_FEATURES } from '../features';
import { isSymbolIndicator, SYMBOL_INDICATOR } from '../features/symbolColumns';
import { loadModel, readModelDir, savedInputs, type Classifier } from '../models';
import { parseConfig } from '../pipeline/configFile';
import { loadConfiguredData } from '../pipeline/configuredData';
import type { ExperimentConfig } from '../pipeline/config';
import { prepareForPrediction } from '../tensors/prepare';
import { selectBackend } from '../backend/select';
import type { StoreOptions } from '../storage';
import { InputError } from '../util/errors';
import { canonicalJson } from '../util/hash';
import { entryModelDir, readRegistry, type RegistryEntry } from './registry';

/**
 * The runtime's dry run (`gatebook signals`): every champion in the registry, its files
 * checked against the registry first, run over bars replayed in time order — each on the
 * symbols it serves (its own, for a model of one symbol; those it passed on, for a model
 * promoted by the k-of-n rule; else every symbol of the bars). On each
 * iteration each symbol's features are built from the bars seen so far — with the training
 * code (`computeFeatures`, whose causality the features gate checks) — and the model's
 * calibrated probability becomes a signal: direction, confidence |2p − 1|, and a tier.
 */
export interface Signal {
  time: string;
  symbol: string;
  model: string;
  probability: number;
  calibrated: number;
  direction: 'up' | 'down';
  confidence: number;
  tier: string;
  /** in a replay: whether the direction matched what happened (null where the future is not in the file) */
  hit: boolean | null;
}

export interface SignalOptions {
  registry?: string;
  /** OHLCV file to replay; default: each model's training data (its config's data section) */
  data?: string;
  iterations: number;
  sleepSeconds: number;
  /** ascending confidence bounds: below the first is tier 0 (`low`), … (default 0.1, 0.2: low, medium, high) */
  tiers?: number[];
  out?: string;
  onSignal?: (s: Signal) => void;
  /** for champions whose files live in a store (`exp promote --to`): its endpoint */
  storeOptions?: StoreOptions;
  /** live bars from an exchange instead of a replay: each iteration reads each symbol's latest closed bars */
  live?: LiveBars;
}

/** `gatebook signals --exchange`: where the latest bars come from and how many to build features on. */
export interface LiveBars {
  exchange: string;
  baseUrl?: string;
  credentials?: ExchangeCredentials;
  /** the bar interval (default: the interval of each model's training data) */
  interval?: string;
  /** closed bars read each iteration, the features' history (default 1,000) */
  history?: number;
  /** the clock (tests) */
  now?: () => number;
}

export interface SignalSummary {
  count: number;
  nonZeroShare: number;
  byTier: Record<string, number>;
  hitRate: number | null;
  judged: number;
  warnings: string[];
}

export const TIER_NAMES = ['low', 'medium', 'high', 'very high', 'extreme'];

interface Runner {
  entry: RegistryEntry;
  model: Classifier;
  calibrator: CalibratorState;
  config: ExperimentConfig;
  inputs: ReturnType<typeof savedInputs>;
  frame: pl.DataFrame;
  /** what its bars are (models on the same bars share each iteration's features) */
  dataKey: string;
  labels: Map<string, Map<number, number>>;
  /** the symbols it signals on: its own (a model of one symbol), else every symbol of the bars */
  symbols: string[];
}

export async function runSignals(o: SignalOptions): Promise<{ signals: Signal[]; summary: SignalSummary }> {
  const tiers = o.tiers ?? [0.1, 0.2];
  if (tiers.some((t, i) => !(t > 0 && t < 1) || (i > 0 && t <= tiers[i - 1])) || tiers.length >= TIER_NAMES.length) {
    throw new InputError(`--tiers ${tiers.join(',')}: give up to ${TIER_NAMES.length - 1} ascending confidence bounds between 0 and 1 (e.g. 0.1,0.2)`);
  }
  const registry = readRegistry(o.registry);
  await selectBackend();
  const champions = registry.entries.filter((e) => e.status === 'champion');
  if (champions.length === 0) throw new InputError(`${o.registry ?? 'models/registry.json'}: no promoted model (promote one with \`gatebook exp promote <experiment>\`)`);
  const dirs: string[] = [];
  for (const e of champions) dirs.push(await entryModelDir(e, o.storeOptions)); // every file checked before anything loads a model
  const bars = new Map<string, Bars>(); // models on the same data share its bars and labels
  const runners = champions.map((entry, i) => runnerOf(entry, dirs[i], o.data, bars));
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, '');
  }
  const signals: Signal[] = [];
  const live = o.live ? await liveSource(o.live, runners) : null;
  for (let i = 0; i < o.iterations; i++) {
    const built = new Map<string, pl.DataFrame>(); // this iteration's features of each symbol of each data, built once
    for (const r of runners) {
      for (const symbol of r.symbols) {
        const key = `${live ? 'live\n' : ''}${r.dataKey}\n${symbol}`;
        let features = built.get(key);
        if (!features && live) {
          features = computeFeatures(await live.latest(symbol, r), SEED_FEATURES);
          built.set(key, features);
        }
        if (!features) {
          const of = r.frame.filter(pl.col('symbol').eq(pl.lit(symbol)));
          const end = of.height - o.iterations + i + 1; // the bars seen by now: [0, end)
          if (end < r.inputs.window + 1) throw new InputError(`${symbol}: ${of.height} bars are too few to replay ${o.iterations} iterations with a ${r.inputs.window}-bar window`);
          features = computeFeatures(of.slice(0, end), SEED_FEATURES);
          built.set(key, features);
        }
        const s = await signalAt(r, symbol, features, tiers);
        signals.push(s);
        o.onSignal?.(s);
        if (o.out) appendFileSync(o.out, JSON.stringify(s) + '\n');
      }
    }
    if (o.sleepSeconds > 0 && i < o.iterations - 1) await new Promise((resolve) => setTimeout(resolve, o.sleepSeconds * 1000));
  }
  for (const r of runners) r.model.dispose();
  return { signals, summary: summarize(signals, tiers) };
}

/** The bars a model replays and what happened after each (by its label), shared by the models of the same data and label. */
interface Bars {
  frame: pl.DataFrame;
  labels: Map<string, Map<number, number>>;
}

/** The latest closed bars of a symbol on the exchange, for a model (its interval), through one ccxt client per interval. */
async function liveSource(l: LiveBars, runners: Runner[]): Promise<{ latest(symbol: string, r: Runner): Promise<pl.DataFrame> }> {
  const clients = new Map<string, Promise<CcxtClient>>();
  // each model's interval, found once (not on every signal)
  const intervals = new Map(runners.map((r) => [r, l.interval ?? trainingInterval(r)]));
  const intervalOf = (r: Runner) => intervals.get(r)!;
  const open = (interval: string) => {
    if (!clients.has(interval)) clients.set(interval, CcxtClient.open({ exchange: l.exchange, interval, baseUrl: l.baseUrl, credentials: l.credentials }));
    return clients.get(interval)!;
  };
  for (const r of runners) (await open(intervalOf(r))).requireSymbols(r.symbols); // every symbol listed before the first signal
  return {
    async latest(symbol, r) {
      const interval = intervalOf(r);
      const ms = parseInterval(interval);
      const end = Math.floor((l.now?.() ?? Date.now()) / ms) * ms; // bars that have closed by now
      const { frame } = await (await open(interval)).candles(symbol, end - (l.history ?? 1000) * ms, end);
      if (frame.height < r.inputs.window + 1) throw new InputError(`${symbol}: ${l.exchange} gave ${frame.height} closed ${interval} bars, too few for a ${r.inputs.window}-bar window`);
      return frame;
    },
  };
}

/** The bar interval of a model's training data (its first served symbol's bars). */
function trainingInterval(r: Runner): string {
  const t = r.frame.filter(pl.col('symbol').eq(pl.lit(r.symbols[0]))).getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
  const ms = detectInterval(t);
  if (ms === null) throw new InputError(`${r.entry.name} v${r.entry.version}: no bar interval in its training data: give --interval`);
  return formatInterval(ms);
}

function runnerOf(entry: RegistryEntry, dir: string, data: string | undefined, shared: Map<string, Bars>): Runner {
  const saved = readModelDir(dir);
  const calibrator = saved.meta.calibrator as CalibratorState | undefined;
  if (!calibrator) throw new InputError(`${dir}/model.json has no calibrator: promote a model the finalization gate exported`);
  const config = parseConfig(saved.meta.config ?? {}, `${dir}/model.json's config`);
  const { causalityPoints: _c, plantLeak: _p, ...label } = config.features;
  const dataKey = canonicalJson(data ?? { data: config.data, symbol: config.symbol });
  const barsKey = `${dataKey}\n${canonicalJson(label)}`;
  if (!shared.has(barsKey)) {
    const frame = data ? openOhlcv(data).frame : loadConfiguredData(config).frame;
    // what happened after each bar (for the replay's hit rate), by the training label
    const labeled = buildFeatures(frame, { ...label, features: SEED_FEATURES }).frame;
    const labels = new Map<string, Map<number, number>>();
    for (const symbol of symbolsOf(labeled)) {
      const part = labeled.filter(pl.col('symbol').eq(pl.lit(symbol)));
      const t = part.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
      const y = part.getColumn('label').cast(pl.Float64).toTypedArray() as Float64Array;
      labels.set(symbol, new Map(Array.from(t, (ts, k) => [ts, y[k]])));
    }
    shared.set(barsKey, { frame, labels });
  }
  const { frame, labels } = shared.get(barsKey)!;
  // a model of one symbol serves that symbol; one promoted by k of n serves the symbols it passed on
  const held = symbolsOf(frame);
  const serves = entry.symbol ? [entry.symbol] : entry.symbols?.passed;
  const symbols = serves ? held.filter((s) => serves.includes(s)) : held;
  if (symbols.length === 0) {
    throw new InputError(`${entry.name} v${entry.version} serves ${serves!.join(', ')}, which the bars${data ? ` of ${data}` : ''} do not hold (symbols: ${held.join(', ')})`);
  }
  return { entry, model: loadModel(dir), calibrator, config, inputs: savedInputs(saved), frame, dataKey, labels, symbols };
}

/** The signal of a model on the last bar seen, from the features of the bars seen so far (computeFeatures, as in training). */
async function signalAt(r: Runner, symbol: string, features: pl.DataFrame, tiers: number[]): Promise<Signal> {
  const missing = r.inputs.featureNames.filter((f) => !features.columns.includes(f) && !isSymbolIndicator(f));
  if (missing.length) throw new InputError(`${r.entry.name} v${r.entry.version} reads features the bars do not give (${missing.slice(0, 3).join(', ')})`);
  const known = r.inputs.featureNames.filter(isSymbolIndicator);
  if (known.length && !known.includes(`${SYMBOL_INDICATOR}${symbol}`)) {
    throw new InputError(`${r.entry.name} v${r.entry.version} is a multi-symbol model of ${known.map((k) => k.slice(SYMBOL_INDICATOR.length)).join(', ')}; it was not trained on ${symbol}`);
  }
  // the last window (and the bar before it, for the persistence rule's last move): the features were built on all bars seen
  const rows = Math.min(features.height, r.inputs.window + 1);
  const { source, lastMove } = prepareForPrediction(features.slice(features.height - rows, rows), r.inputs.featureNames, r.inputs.scaler, r.inputs.window);
  const last = Int32Array.of(rows - 1);
  const probability = (await r.model.predictProba(source, last, lastMove))[0];
  const calibrated = applyCalibrator(r.calibrator, [probability])[0];
  if (!Number.isFinite(calibrated)) throw new InputError(`${symbol}: the model gave ${calibrated} on the bar at row ${features.height - 1}: its window holds bars without features (too little history before it?)`);
  const confidence = Math.abs(2 * calibrated - 1);
  const ts = (features.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array)[features.height - 1];
  const outcome = r.labels.get(symbol)?.get(ts);
  const direction = calibrated >= 0.5 ? 'up' : 'down';
  return {
    time: new Date(ts).toISOString(), symbol, model: `${r.entry.name} v${r.entry.version}`,
    probability, calibrated, direction, confidence,
    tier: TIER_NAMES[tiers.filter((t) => confidence >= t).length],
    hit: outcome === undefined || Number.isNaN(outcome) ? null : (outcome > 0.5) === (direction === 'up'),
  };
}

/** Counts, the share with non-zero confidence, tiers, the replay's hit rate — and warnings when the signals look wrong. */
export function summarize(signals: Signal[], tiers: number[] = [0.1, 0.2]): SignalSummary {
  const byTier: Record<string, number> = Object.fromEntries(TIER_NAMES.slice(0, tiers.length + 1).map((t) => [t, 0]));
  for (const s of signals) byTier[s.tier]++;
  const judged = signals.filter((s) => s.hit !== null);
  const hitRate = judged.length ? judged.filter((s) => s.hit).length / judged.length : null;
  const warnings: string[] = [];
  const used = Object.entries(byTier).filter(([, n]) => n > 0);
  if (signals.length >= 5 && used.length === 1) warnings.push(`every signal is in tier ${used[0][0]}: the confidence bands (--tiers) do not separate anything, or the model says the same thing every bar`);
  const nonZero = signals.filter((s) => s.confidence > 0).length;
  if (signals.length && nonZero === 0) warnings.push('no signal has non-zero confidence: the calibrated probability is exactly 0.5 every bar');
  if (hitRate !== null && judged.length >= 10 && hitRate >= 0.9) {
    warnings.push(`the replay's hit rate is ${(hitRate * 100).toFixed(0)} % on ${judged.length} signals — implausibly high for market direction: suspect the evaluation (a label read from the same bar, future bars in the features) before believing it — the "100 % win rate" bug`);
  }
  return { count: signals.length, nonZeroShare: signals.length ? nonZero / signals.length : 0, byTier, hitRate, judged: judged.length, warnings };
}
