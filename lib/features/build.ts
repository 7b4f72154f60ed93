import pl from 'nodejs-polars';
import { InputError } from '../util/errors';
import { OHLCV_COLUMNS, requireOhlcv, symbolsOf } from '../data/ohlcv';
import { intermediates, regimeSeries } from './expressions';
import { labelExpr, LabelOptions } from './label';
import { numericFeatureNames, SEED_FEATURES, warmupBars, type FeatureSpec } from './registry';

export interface BuildOptions extends LabelOptions {
  /** The feature set (default: the seed's 31 numeric + 3 categorical). */
  features?: readonly FeatureSpec[];
}

export interface BuildResult {
  /** OHLCV, the features and `label`, warm-up and unlabeled rows removed. */
  frame: pl.DataFrame;
  numericFeatures: string[];
  categoricalFeatures: string[];
  warmupBars: number;
  dropped: { warmup: number; unlabeled: number; nonFinite: number };
}

/** Every feature column next to the OHLCV columns, all rows kept (nulls in the warm-up). */
export function computeFeatures(frame: pl.DataFrame, features: readonly FeatureSpec[] = SEED_FEATURES): pl.DataFrame {
  return featuresLazy(frame, features).collectSync();
}

function featuresLazy(frame: pl.DataFrame, features: readonly FeatureSpec[]): pl.LazyDataFrame {
  const e = expressionsOf(features);
  const closes = frame.getColumn('close').cast(pl.Float64).toTypedArray() as Float64Array;
  return frame
    .withColumn(regimeSeries(closes))
    .lazy()
    .withColumns(...e.shared)
    .withColumns(...e.features)
    .drop(e.dropped);
}

/** A feature set's expressions, built once: polars expressions are immutable, and building them costs more than running them on a few thousand bars (the signals replay builds features every bar). */
const built = new WeakMap<readonly FeatureSpec[], { shared: pl.Expr[]; features: pl.Expr[]; dropped: string[] }>();

function expressionsOf(features: readonly FeatureSpec[]): { shared: pl.Expr[]; features: pl.Expr[]; dropped: string[] } {
  let e = built.get(features);
  if (!e) {
    const shared = Object.entries(intermediates());
    e = { shared: shared.map(([name, x]) => x.alias(name)), features: features.map((f) => f.expr().alias(f.name)), dropped: [...shared.map(([name]) => name), '_regime'] };
    built.set(features, e);
  }
  return e;
}

/**
 * Features and label for each symbol, computed in time order; drops the warm-up rows, the
 * rows whose label needs bars that do not exist (or fall in the dead zone), and any row a
 * feature left non-finite — nothing is filled in.
 */
export function buildFeatures(frame: pl.DataFrame, options: BuildOptions = {}): BuildResult {
  requireOhlcv(frame);
  const features = options.features ?? SEED_FEATURES;
  const label = LabelOptions.parse({ horizon: options.horizon, threshold: options.threshold, deadZone: options.deadZone });
  const warmup = warmupBars(features);
  const numeric = numericFeatureNames(features);
  const columns = [...OHLCV_COLUMNS, ...features.map((f) => f.name), 'label'];
  const symbols = symbolsOf(frame);
  const parts = symbols.map((symbol) => {
    const bars = symbols.length === 1 ? frame : frame.filter(pl.col('symbol').eq(pl.lit(symbol)));
    requireIncreasing(bars, symbol);
    return featuresLazy(bars, features)
      .withColumns(labelExpr(label))
      .slice(warmup, Math.max(0, bars.height - warmup))
      .withColumns(pl.sumHorizontal(numeric.map((c) => pl.col(c))).isFinite().alias('_finite')) // NaN / ±Inf anywhere → not finite
      .collectSync();
  });
  const all = parts.length === 1 ? parts[0] : pl.concat(parts);
  const labeled = all.filter(pl.col('label').isNotNull());
  let kept = labeled.filter(pl.col('_finite'));
  // a null the horizontal sum skipped (only possible from a custom feature): drop the row too
  if (numeric.some((c) => kept.getColumn(c).nullCount() > 0)) kept = kept.dropNulls(numeric);
  return {
    frame: kept.select(...columns),
    numericFeatures: numeric,
    categoricalFeatures: features.filter((f) => f.kind === 'categorical').map((f) => f.name),
    warmupBars: warmup,
    dropped: {
      warmup: frame.height - all.height,
      unlabeled: all.height - labeled.height,
      nonFinite: labeled.height - kept.height,
    },
  };
}

function requireIncreasing(bars: pl.DataFrame, symbol: string): void {
  const t = bars.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] > t[i - 1])) {
      throw new InputError(
        `${symbol}: timestamps must increase to build features, but data row ${i + 1} (${new Date(t[i]).toISOString()}) ` +
          `does not come after row ${i}; run \`gatebook data validate <file> --fix\` first`,
      );
    }
  }
}
