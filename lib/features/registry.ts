import pl from 'nodejs-polars';
import * as x from './expressions';

/** One feature: its column name, kind, group, and how many bars it needs (lookback). */
export interface FeatureSpec {
  name: string;
  kind: 'numeric' | 'categorical';
  group: 'session' | 'spread' | 'volume' | 'moving_average' | 'indicator' | 'volatility_regime' | 'custom';
  /** Bars (the current one included) the value depends on; warm-up rows are dropped. */
  lookback: number;
  /** Over the OHLCV columns and the shared intermediates of `expressions.ts`. */
  expr: () => pl.Expr;
  /**
   * In price or volume units (an SMA, a band, the ATR): its level drifts with the market,
   * so values in validation and test fall outside what training saw. Models use the
   * stationary features (ratios, oscillators, flags) by default.
   */
  level?: boolean;
}

const REGIME_LOOKBACK = 1 + x.RV_WINDOW + x.RANK_WINDOW - 1;
const SMA_WINDOWS = [7, 14, 21, 50] as const;
const col = pl.col;

const numeric = (group: FeatureSpec['group'], name: string, lookback: number, expr: () => pl.Expr): FeatureSpec => ({
  name, kind: 'numeric', group, lookback, expr,
});
const categorical = (group: FeatureSpec['group'], name: string, lookback: number, expr: () => pl.Expr): FeatureSpec => ({
  name, kind: 'categorical', group, lookback, expr,
});

const session: FeatureSpec[] = [
  numeric('session', 'tokyo_session', 1, () => x.inHours(0, 9)),
  numeric('session', 'london_session', 1, () => x.inHours(7, 16)),
  numeric('session', 'ny_session', 1, () => x.inHours(13, 22)),
  numeric('session', 'day_of_week', 1, () => col('_dow')),
  numeric('session', 'is_weekend', 1, () => col('_dow').gtEq(5).cast(pl.Float64)),
];

const spread: FeatureSpec[] = [
  numeric('spread', 'spread', 1, () => col('_spread')),
  numeric('spread', 'spread_pct', 1, () => col('_spread').div(x.close())),
  numeric('spread', 'atr_14', 15, () => col('_atr_14')),
  numeric('spread', 'spread_atr_ratio', 15, () => col('_spread').div(col('_atr_14'))),
];

const volume: FeatureSpec[] = [
  numeric('volume', 'volume_ma', 20, () => col('_volume_ma')),
  numeric('volume', 'volume_ratio', 20, () => col('volume').div(col('_volume_ma'))),
  numeric('volume', 'volume_trend', 20, () => x.sma(col('volume'), 5).div(col('_volume_ma')).minus(1)),
];

const movingAverages: FeatureSpec[] = [
  ...SMA_WINDOWS.map((w) => numeric('moving_average', `sma_${w}`, w, () => x.sma(x.close(), w))),
  ...SMA_WINDOWS.map((w) => numeric('moving_average', `close_sma_${w}_ratio`, w, () => x.close().div(x.sma(x.close(), w)))),
];

const bb = () => x.bollinger(2);
const indicators: FeatureSpec[] = [
  numeric('indicator', 'rsi_14', 15, () => x.rsi(14)),
  numeric('indicator', 'macd', 26, () => col('_macd')),
  numeric('indicator', 'macd_signal', 34, () => col('_macd_signal')),
  numeric('indicator', 'macd_hist', 34, () => col('_macd').minus(col('_macd_signal'))),
  numeric('indicator', 'bb_upper', 20, () => bb().upper),
  numeric('indicator', 'bb_lower', 20, () => bb().lower),
  numeric('indicator', 'bb_width', 20, () => bb().upper.minus(bb().lower).div(col('_bb_mid'))),
  numeric('indicator', 'bb_pct_b', 20, () => x.close().minus(bb().lower).div(bb().upper.minus(bb().lower))),
];

const regimeIs = (level: number) => col('_regime').eq(level).cast(pl.Float64);
const volatilityRegime: FeatureSpec[] = [
  numeric('volatility_regime', 'vol_regime_low', REGIME_LOOKBACK, () => regimeIs(0)),
  numeric('volatility_regime', 'vol_regime_medium', REGIME_LOOKBACK, () => regimeIs(1)),
  numeric('volatility_regime', 'vol_regime_high', REGIME_LOOKBACK, () => regimeIs(2)),
];

/** The session a UTC hour belongs to; where sessions overlap, the later one. */
function sessionOfHour(hour: number): string {
  if (hour >= 13 && hour < 22) return 'new_york';
  if (hour >= 7 && hour < 16) return 'london';
  if (hour < 9) return 'tokyo';
  return 'off';
}
const SESSION_BY_HOUR = Object.fromEntries(Array.from({ length: 24 }, (_, h) => [h, sessionOfHour(h)]));
const WEEKDAYS = { 0: 'Mon', 1: 'Tue', 2: 'Wed', 3: 'Thu', 4: 'Fri', 5: 'Sat', 6: 'Sun' };
const labels: FeatureSpec[] = [
  categorical('volatility_regime', 'vol_regime', REGIME_LOOKBACK, () => x.lookup(col('_regime'), { 0: 'low', 1: 'medium', 2: 'high' })),
  categorical('session', 'session', 1, () => x.lookup(col('_hour'), SESSION_BY_HOUR)),
  categorical('session', 'weekday', 1, () => x.lookup(col('_dow'), WEEKDAYS)),
];

const LEVELS = new Set(['spread', 'atr_14', 'volume_ma', 'sma_7', 'sma_14', 'sma_21', 'sma_50', 'bb_upper', 'bb_lower']);

/** The seed feature set: 31 numeric and 3 categorical columns, in a stable order. */
export const SEED_FEATURES: readonly FeatureSpec[] = [
  ...session, ...spread, ...volume, ...movingAverages, ...indicators, ...volatilityRegime, ...labels,
].map((f) => (LEVELS.has(f.name) ? { ...f, level: true } : f));

/** The numeric features whose values do not drift with the price level (22 of the 31). */
export function stationaryFeatureNames(specs: readonly FeatureSpec[] = SEED_FEATURES): string[] {
  return specs.filter((s) => s.kind === 'numeric' && !s.level).map((s) => s.name);
}

export function numericFeatureNames(specs: readonly FeatureSpec[] = SEED_FEATURES): string[] {
  return specs.filter((s) => s.kind === 'numeric').map((s) => s.name);
}

/** Rows to drop at the start so that every feature has its full lookback. */
export function warmupBars(specs: readonly FeatureSpec[] = SEED_FEATURES): number {
  return Math.max(0, ...specs.map((s) => s.lookback - 1));
}

/**
 * A deliberately leaking feature: the return over the next bar. Planted by the config switch
 * `features.plantLeak` to prove the honesty checks catch look-ahead; never use it otherwise.
 */
export const PLANTED_LEAK: FeatureSpec = {
  name: 'leak_future_return', kind: 'numeric', group: 'custom', lookback: 1,
  expr: () => pl.col('close').shift(-1).div(pl.col('close')).minus(1),
};
