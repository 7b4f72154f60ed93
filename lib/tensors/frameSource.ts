import pl from 'nodejs-polars';
import { isSymbolIndicator, symbolIndicator } from '../features/symbolColumns';
import type { WindowSource } from './windows';

/** The numeric features (and symbol indicators, `symbol=<S>`) and label of a feature frame as a WindowSource (unscaled). */
export function windowSource(frame: pl.DataFrame, featureNames: string[], labelColumn = 'label'): WindowSource {
  const rows = frame.height;
  const features = featureNames.length;
  const matrix = new Float32Array(rows * features);
  const indicator = (name: string) => isSymbolIndicator(name) && !frame.columns.includes(name);
  let symbols: string[] | undefined;
  featureNames.forEach((name, f) => {
    // a multi-symbol model's symbol indicators come from the symbol column
    const column = indicator(name) ? symbolIndicator(name, (symbols ??= frame.getColumn('symbol').toArray() as string[])) : float64Column(frame, name);
    for (let r = 0; r < rows; r++) matrix[r * features + f] = column[r];
  });
  const labels = frame.columns.includes(labelColumn)
    ? Float32Array.from(frame.getColumn(labelColumn).cast(pl.Float64).toTypedArray() as Float64Array)
    : new Float32Array(rows).fill(NaN);
  return { matrix, features, labels, rows };
}

/** A column as float64, a missing value (a warm-up row of raw features) as NaN, not a crash — by Series, without building expressions (the signals replay reads a few rows every bar). */
function float64Column(frame: pl.DataFrame, name: string): Float64Array {
  let series = frame.getColumn(name);
  if (series.dtype !== pl.Float64) series = series.cast(pl.Float64);
  if (series.nullCount() === 0) return series.toTypedArray() as Float64Array;
  return Float64Array.from(series.toArray() as Array<number | null>, (v) => (v === null ? Number.NaN : v));
}
