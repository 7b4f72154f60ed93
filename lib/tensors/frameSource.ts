import pl from 'nodejs-polars';
import type { WindowSource } from './windows';

/** The numeric features and label of a feature frame as a WindowSource (unscaled). */
export function windowSource(frame: pl.DataFrame, featureNames: string[], labelColumn = 'label'): WindowSource {
  const rows = frame.height;
  const features = featureNames.length;
  const matrix = new Float32Array(rows * features);
  featureNames.forEach((name, f) => {
    // a missing value (a warm-up row of raw features) is NaN, not a crash
    const column = frame.select(pl.col(name).cast(pl.Float64).fillNull(pl.lit(Number.NaN))).getColumn(name).toTypedArray() as Float64Array;
    for (let r = 0; r < rows; r++) matrix[r * features + f] = column[r];
  });
  const labels = frame.columns.includes(labelColumn)
    ? Float32Array.from(frame.getColumn(labelColumn).cast(pl.Float64).toTypedArray() as Float64Array)
    : new Float32Array(rows).fill(NaN);
  return { matrix, features, labels, rows };
}
