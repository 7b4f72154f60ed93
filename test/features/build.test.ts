import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../lib/data/synthetic';
import { buildFeatures, computeFeatures } from '../../lib/features/build';
import { SEED_FEATURES, warmupBars } from '../../lib/features/registry';
import { rollingQuantiles } from '../../lib/features/rolling';
import { ohlcvArrays } from '../../lib/data/ohlcv';

const raw = generateSynthetic({ interval: '15m', bars: 2000, seed: 4 });
const a = ohlcvArrays(raw);
const all = computeFeatures(raw);
const col = (name: string) => all.getColumn(name).toArray() as number[];

describe('seed feature set', () => {
  it('has 31 numeric and 3 categorical features with unique names', () => {
    expect(SEED_FEATURES.filter((f) => f.kind === 'numeric')).toHaveLength(31);
    expect(SEED_FEATURES.filter((f) => f.kind === 'categorical').map((f) => f.name)).toEqual(['vol_regime', 'session', 'weekday']);
    expect(new Set(SEED_FEATURES.map((f) => f.name)).size).toBe(34);
  });

  it('matches hand computations: SMA, ATR, RSI (Wilder), Bollinger %b, sessions', () => {
    const i = 500;
    let sum = 0;
    for (let k = i - 13; k <= i; k++) sum += a.close[k];
    expect(col('sma_14')[i]).toBeCloseTo(sum / 14, 8);
    let tr = 0;
    for (let k = i - 13; k <= i; k++) tr += Math.max(a.high[k] - a.low[k], Math.abs(a.high[k] - a.close[k - 1]), Math.abs(a.low[k] - a.close[k - 1]));
    expect(col('atr_14')[i]).toBeCloseTo(tr / 14, 8);
    // Wilder RSI, recursive from the first change
    let gain = 0, loss = 0;
    for (let k = 1; k <= i; k++) {
      const d = a.close[k] - a.close[k - 1];
      gain = k === 1 ? Math.max(d, 0) : gain + (Math.max(d, 0) - gain) / 14;
      loss = k === 1 ? Math.max(-d, 0) : loss + (Math.max(-d, 0) - loss) / 14;
    }
    expect(col('rsi_14')[i]).toBeCloseTo(100 - 100 / (1 + gain / loss), 6);
    const w = Array.from(a.close.subarray(i - 19, i + 1));
    const m = w.reduce((s, v) => s + v, 0) / 20;
    const sd = Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / 19);
    expect(col('bb_pct_b')[i]).toBeCloseTo((a.close[i] - (m - 2 * sd)) / (4 * sd), 8);
    const hour = new Date(a.timestamp[i]).getUTCHours();
    expect(col('london_session')[i]).toBe(hour >= 7 && hour < 16 ? 1 : 0);
    expect(col('day_of_week')[i]).toBe((new Date(a.timestamp[i]).getUTCDay() + 6) % 7);
  });

  it('labels the volatility regime by trailing terciles of realized volatility', () => {
    const r = Float64Array.from(a.close, (c, k) => (k === 0 ? NaN : Math.log(c / a.close[k - 1])));
    const rv = Float64Array.from(r, (_, k) => {
      if (k < 20) return NaN;
      const w = Array.from(r.subarray(k - 19, k + 1));
      const m = w.reduce((s, v) => s + v, 0) / 20;
      return Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / 19);
    });
    const i = 1500;
    const window = Array.from(rv.subarray(i - 199, i + 1)).sort((x, y) => x - y);
    const q = (p: number) => window[Math.floor(199 * p)] + (window[Math.floor(199 * p) + 1] - window[Math.floor(199 * p)]) * (199 * p - Math.floor(199 * p));
    const expected = rv[i] <= q(1 / 3) ? 'low' : rv[i] > q(2 / 3) ? 'high' : 'medium';
    expect(all.getColumn('vol_regime').toArray()[i]).toBe(expected);
    const [low] = rollingQuantiles(Float64Array.from([3, 1, 2, NaN, 5]), 3, [0.5]);
    expect(Array.from(low)).toEqual([NaN, NaN, 2, NaN, 2]);
  });
});

describe('buildFeatures', () => {
  it('drops warm-up and unlabeled rows, fills nothing, and labels the forward return', () => {
    const built = buildFeatures(raw, { horizon: 15 });
    const f = built.frame;
    expect(built.warmupBars).toBe(warmupBars());
    expect(built.dropped).toEqual({ warmup: warmupBars(), unlabeled: 15, nonFinite: 0 });
    expect(f.height).toBe(2000 - warmupBars() - 15);
    expect(f.columns.slice(0, 7)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'symbol']);
    expect(f.columns.at(-1)).toBe('label');
    for (const name of built.numericFeatures) expect(f.getColumn(name).nullCount(), name).toBe(0);
    const close = f.getColumn('close').toArray() as number[];
    const label = f.getColumn('label').toArray() as number[];
    const first = warmupBars();
    for (const k of [0, 100, 777]) expect(label[k]).toBe(a.close[first + k + 15] > a.close[first + k] ? 1 : 0);
    expect(close[0]).toBe(a.close[first]);
  });

  it('leaves out the dead zone around the threshold', () => {
    const plain = buildFeatures(raw, { horizon: 4 }).frame.height;
    const built = buildFeatures(raw, { horizon: 4, threshold: 0.001, deadZone: 0.002 });
    expect(built.frame.height).toBeLessThan(plain);
    const close = built.frame.getColumn('close').toArray() as number[];
    const t = built.frame.getColumn('timestamp').toArray() as number[];
    const index = new Map(Array.from(a.timestamp, (v, k) => [v, k]));
    for (let k = 0; k < 200; k++) {
      const at = index.get(t[k])!;
      const ret = a.close[at + 4] / close[k] - 1;
      expect(Math.abs(ret - 0.001)).toBeGreaterThanOrEqual(0.002);
    }
  });

  it('drops rows a feature leaves non-finite (NaN, Inf or null) and counts them', () => {
    const spiky = {
      name: 'spiky', kind: 'numeric' as const, group: 'custom' as const, lookback: 1,
      expr: () => pl.when(pl.col('timestamp').modulo(7 * 900_000).eq(0)).then(pl.lit(Infinity)).otherwise(pl.col('close')),
    };
    const holey = {
      name: 'holey', kind: 'numeric' as const, group: 'custom' as const, lookback: 1,
      expr: () => pl.when(pl.col('timestamp').modulo(11 * 900_000).eq(0)).then(pl.lit(null)).otherwise(pl.col('close')),
    };
    const built = buildFeatures(raw, { features: [...SEED_FEATURES, spiky, holey] });
    const base = buildFeatures(raw).frame.height;
    expect(built.dropped.nonFinite).toBeGreaterThan(100);
    expect(built.frame.height).toBe(base - built.dropped.nonFinite);
    expect(built.frame.getColumn('holey').nullCount()).toBe(0);
    expect(Number.isFinite(built.frame.getColumn('spiky').max())).toBe(true);
  });

  it('names sessions and weekdays by UTC time', () => {
    const t = all.getColumn('timestamp').toArray() as number[];
    const session = all.getColumn('session').toArray();
    const weekday = all.getColumn('weekday').toArray();
    for (const i of [3, 40, 77, 130, 999]) {
      const d = new Date(t[i]);
      const h = d.getUTCHours();
      const expected = h >= 13 && h < 22 ? 'new_york' : h >= 7 && h < 16 ? 'london' : h < 9 ? 'tokyo' : 'off';
      expect(session[i]).toBe(expected);
      expect(weekday[i]).toBe(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]);
    }
  });

  it('refuses unsorted data, naming the row', () => {
    const unsorted = pl.concat([raw.slice(0, 10), raw.slice(20, 5), raw.slice(10, 10)]);
    expect(() => buildFeatures(unsorted)).toThrow(/data row 16 .* does not come after row 15; run `gatebook data validate/);
  });
});
