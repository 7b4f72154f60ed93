import pl from 'nodejs-polars';
import { rollingQuantiles } from './rolling';

/**
 * Building blocks of the seed feature set. Every expression looks only at the current row
 * and earlier ones (rolling windows trail, EWMs recurse forward, shifts are positive); the
 * causality check in `causality.ts` proves it on data.
 *
 * Shared intermediates (`_hour`, `_atr_14`, …) are computed once per build, then dropped:
 * the features refer to them by name.
 */
export const close = () => pl.col('close');

export function sma(expr: pl.Expr, window: number): pl.Expr {
  return expr.rollingMean({ windowSize: window, minPeriods: window });
}

export function rollingStd(expr: pl.Expr, window: number): pl.Expr {
  return expr.rollingStd({ windowSize: window, minPeriods: window });
}

/** Recursive EMA with alpha = 2 / (span + 1), null until `span` values were seen. */
export function ema(expr: pl.Expr, span: number): pl.Expr {
  return expr.ewmMean({ alpha: 2 / (span + 1), adjust: false, minPeriods: span, ignoreNulls: true });
}

/** RSI with Wilder's smoothing (alpha = 1 / window). */
export function rsi(window: number): pl.Expr {
  const delta = close().diff(1, 'ignore');
  const wilder = (e: pl.Expr) => e.ewmMean({ alpha: 1 / window, adjust: false, minPeriods: window, ignoreNulls: true });
  const gain = wilder(delta.clip(0, Number.MAX_VALUE));
  const loss = wilder(delta.clip(-Number.MAX_VALUE, 0).mul(-1));
  return pl.lit(100).minus(pl.lit(100).div(pl.lit(1).add(gain.div(loss))));
}

/** Average true range: the simple mean of the true range over `window` bars. */
export function atr(window: number): pl.Expr {
  const prevClose = close().shift(1);
  const trueRange = pl.maxHorizontal([
    pl.col('high').minus(pl.col('low')),
    pl.col('high').minus(prevClose).abs(),
    pl.col('low').minus(prevClose).abs(),
  ]);
  return sma(trueRange, window);
}

export const RV_WINDOW = 20;
export const RANK_WINDOW = 200;

/** Intermediates computed by polars, all in one pass. */
export function intermediates(): pl.Expr[] {
  const t = pl.col('timestamp').cast(pl.Float64);
  const macd = ema(close(), 12).minus(ema(close(), 26)).div(close());
  return [
    t.div(3_600_000).floor().modulo(24).alias('_hour'),
    t.div(86_400_000).floor().add(3).modulo(7).alias('_dow'), // 1970-01-01 was a Thursday: Monday = 0
    pl.col('high').minus(pl.col('low')).alias('_spread'),
    atr(14).alias('_atr_14'),
    sma(pl.col('volume'), 20).alias('_volume_ma'),
    macd.alias('_macd'),
    ema(macd, 9).alias('_macd_signal'),
    sma(close(), 20).alias('_bb_mid'),
    rollingStd(close(), 20).alias('_bb_sd'),
    rollingStd(close().div(close().shift(1)).log(), RV_WINDOW).alias('_rv'),
  ];
}

/**
 * Volatility regime: realized volatility against its own trailing terciles over
 * RANK_WINDOW bars → 0 low, 1 medium, 2 high, NaN until the window is full.
 */
export function regimeSeries(frame: pl.DataFrame): pl.Series {
  const rv = frame.select(pl.col('_rv').fillNull(pl.lit(NaN))).getColumn('_rv').toTypedArray() as Float64Array;
  const [q1, q2] = rollingQuantiles(rv, RANK_WINDOW, [1 / 3, 2 / 3]);
  const regime = new Float64Array(rv.length);
  for (let i = 0; i < rv.length; i++) regime[i] = Number.isNaN(q1[i]) ? NaN : rv[i] <= q1[i] ? 0 : rv[i] > q2[i] ? 2 : 1;
  return pl.Series('_regime', regime); // NaN (not null) in the warm-up: those rows are dropped
}

export function inHours(from: number, to: number): pl.Expr {
  return pl.col('_hour').gtEq(from).and(pl.col('_hour').lt(to)).cast(pl.Float64);
}

export function bollinger(k: number): { upper: pl.Expr; lower: pl.Expr } {
  const mid = pl.col('_bb_mid');
  const sd = pl.col('_bb_sd');
  return { upper: mid.add(sd.mul(k)), lower: mid.minus(sd.mul(k)) };
}

/** `CASE WHEN c1 THEN v1 WHEN c2 THEN v2 … ELSE otherwise END` over polars' when-chains. */
export function caseWhen(cases: Array<[pl.Expr, pl.Expr]>, otherwise: pl.Expr): pl.Expr {
  // polars' chain types differ per link (When → Then → ChainedWhen …); they share the calls used here.
  type Link = { when(c: pl.Expr): Link; then(v: pl.Expr): Link; otherwise(v: pl.Expr): pl.Expr };
  let chain = pl.when(cases[0][0]).then(cases[0][1]) as unknown as Link;
  for (const [condition, value] of cases.slice(1)) chain = chain.when(condition).then(value);
  return chain.otherwise(otherwise);
}
