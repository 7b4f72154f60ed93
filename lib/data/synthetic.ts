import { z } from 'zod';
import type pl from 'nodejs-polars';
import { Random } from '../util/random';
import { parseInterval } from './interval';
import { ohlcvFrame, type OhlcvArrays } from './ohlcv';

const YEAR_MS = 365 * 86_400_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Options of the synthetic provider; every field has a default. */
export const SyntheticOptions = z
  .object({
    symbol: z.string().min(1).default('SYN-USD'),
    interval: z.string().default('15m'),
    start: z.string().datetime().default('2024-01-01T00:00:00Z'),
    bars: z.number().int().positive().optional(),
    days: z.number().positive().optional(),
    seed: z.number().int().nonnegative().default(42),
    startPrice: z.number().positive().default(30_000),
    annualVol: z.number().positive().default(0.6),
  })
  .strict();
export type SyntheticOptions = z.input<typeof SyntheticOptions>;

/**
 * Three volatility regimes (calm, normal, turbulent): scale of volatility, strength of the
 * latent trend that makes returns weakly predictable, and a lag-1 reversal that only the
 * turbulent regime has. The expected stay is a duration in days, whatever the interval.
 */
const REGIMES = [
  { vol: 0.6, trend: 0.21, reversal: 0.0, stayDays: 6 },
  { vol: 1.0, trend: 0.12, reversal: 0.0, stayDays: 4 },
  { vol: 2.1, trend: 0.04, reversal: -0.08, stayDays: 2 },
] as const;

/** The generated bars plus the hidden state, so tests can check what the data should show. */
export interface SyntheticSeries extends OhlcvArrays {
  regime: Uint8Array;
}

/** Generate a frame of synthetic OHLCV bars (see `generateSyntheticSeries`). */
export function generateSynthetic(options: SyntheticOptions = {}, onProgress?: (done: number, total: number) => void): pl.DataFrame {
  const parsed = SyntheticOptions.parse(options);
  return ohlcvFrame(generateSyntheticSeries(parsed, onProgress), parsed.symbol);
}

/**
 * Seeded, deterministic bars: regime-switching volatility with GARCH(1,1)-style clustering,
 * unit-variance Student-t(4) shocks (fat tails), intraday and weekly seasonality of volume
 * and volatility (UTC), and a persistent latent trend whose strength depends on the regime
 * (the weak edge a good model can find). Prices and volumes are positive; OHLC consistent.
 */
export function generateSyntheticSeries(
  options: SyntheticOptions = {},
  onProgress?: (done: number, total: number) => void,
  /** A market factor shared with other symbols: each bar's shock is √w·common + √(1−w)·own (own drawn as without it). */
  common?: { shocks: Float64Array; weight: number },
): SyntheticSeries {
  const o = SyntheticOptions.parse(options);
  const intervalMs = parseInterval(o.interval);
  const n = syntheticBars(o);
  if (common && common.shocks.length < n) throw new Error(`synthetic: ${common.shocks.length} common shocks for ${n} bars`);
  const start = Math.ceil(Date.parse(o.start) / intervalMs) * intervalMs;
  const rng = new Random(o.seed);
  const out = allocate(n);
  const baseSigma = o.annualVol * Math.sqrt(intervalMs / YEAR_MS);
  const trendRho = Math.max(0.5, 1 - intervalMs / (6 * HOUR_MS)); // trend half-life ≈ 4 h in time
  const trendInnovation = Math.sqrt(1 - trendRho * trendRho);
  let regime = 1;
  let garch = 1;
  let trend = 0;
  let lastShock = 0;
  let lastReturn = 0;
  let close = o.startPrice;
  for (let i = 0; i < n; i++) {
    const t = start + i * intervalMs;
    regime = nextRegime(rng, regime, intervalMs);
    const r = REGIMES[regime];
    garch = 0.03 + 0.07 * lastShock * lastShock + 0.9 * garch;
    const sigma = baseSigma * r.vol * Math.sqrt(garch) * volSeasonality(t, intervalMs);
    trend = trendRho * trend + trendInnovation * rng.normal();
    const own = rng.studentT(4);
    const shock = common ? Math.sqrt(common.weight) * common.shocks[i] + Math.sqrt(1 - common.weight) * own : own;
    const ret = sigma * (shock + r.trend * trend) + r.reversal * lastReturn;
    const open = close * Math.exp(0.05 * sigma * rng.normal());
    close = open * Math.exp(ret);
    out.timestamp[i] = t;
    out.open[i] = open;
    out.close[i] = close;
    out.high[i] = Math.max(open, close) * Math.exp(0.5 * sigma * Math.abs(rng.normal()));
    out.low[i] = Math.min(open, close) * Math.exp(-0.5 * sigma * Math.abs(rng.normal()));
    out.volume[i] = 100 * volumeSeasonality(t, intervalMs) * r.vol * (0.5 + Math.abs(shock)) * Math.exp(0.3 * rng.normal());
    out.regime[i] = regime;
    lastShock = shock;
    lastReturn = ret;
    if (onProgress && (i + 1) % 100_000 === 0) onProgress(i + 1, n);
  }
  onProgress?.(n, n);
  return out;
}

/** How many bars the options ask for (`bars`, else `days` of the interval; a year by default). */
export function syntheticBars(o: Pick<z.infer<typeof SyntheticOptions>, 'bars' | 'days' | 'interval'>): number {
  return o.bars ?? Math.round(((o.days ?? 365) * DAY_MS) / parseInterval(o.interval));
}

function allocate(n: number): SyntheticSeries {
  const f = () => new Float64Array(n);
  return { timestamp: f(), open: f(), high: f(), low: f(), close: f(), volume: f(), regime: new Uint8Array(n) };
}

function nextRegime(rng: Random, current: number, intervalMs: number): number {
  const leave = Math.min(0.5, intervalMs / (REGIMES[current].stayDays * DAY_MS));
  if (rng.uniform() >= leave) return current;
  return current === 1 ? (rng.uniform() < 0.5 ? 0 : 2) : 1;
}

/** Volatility by UTC hour (busier at the London and New York opens) and weekday. */
function volSeasonality(t: number, intervalMs: number): number {
  const weekly = isWeekend(t) ? 0.75 : 1.05;
  if (intervalMs >= DAY_MS) return weekly;
  const hour = ((t % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
  return weekly * (0.75 + 0.35 * bump(hour, 8, 2) + 0.55 * bump(hour, 14.5, 2.5));
}

/** Volume by UTC hour and weekday: the same sessions, stronger, and thin weekends. */
function volumeSeasonality(t: number, intervalMs: number): number {
  const weekly = isWeekend(t) ? 0.55 : 1.15;
  if (intervalMs >= DAY_MS) return weekly;
  const hour = ((t % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
  return weekly * (0.6 + 0.6 * bump(hour, 8, 2) + 1.0 * bump(hour, 14.5, 2.5) + 0.3 * bump(hour, 1, 2));
}

function bump(hour: number, center: number, width: number): number {
  const d = Math.min(Math.abs(hour - center), 24 - Math.abs(hour - center));
  return Math.exp(-(d * d) / (2 * width * width));
}

/** 1970-01-01 was a Thursday: day index + 3 mod 7 gives Monday = 0 … Sunday = 6. */
export function weekdayOf(t: number): number {
  return (Math.floor(t / DAY_MS) + 3) % 7;
}

function isWeekend(t: number): boolean {
  return weekdayOf(t) >= 5;
}
