import { existsSync } from 'node:fs';
import type pl from 'nodejs-polars';
import { loadDataset, manifestPathOf } from './dataset';
import { importFile, type ImportOptions } from './import';

export interface OpenedData {
  frame: pl.DataFrame;
  /** What messages call a row of this file ("line" in a CSV, "row" otherwise) and its number. */
  place: 'line' | 'row';
  lineOf: (row: number) => number;
}

/**
 * Any candle file a user may point at: a gatebook dataset (parquet with a manifest, checked
 * against it) or a foreign CSV / parquet (columns detected, values checked by row).
 */
export function openOhlcv(path: string, options: ImportOptions = {}): OpenedData {
  const own = /\.parquet$/i.test(path) && existsSync(manifestPathOf(path)) && !options.mapping && !options.adjusted;
  if (own) return { frame: loadDataset(path).frame, place: 'row', lineOf: (row) => row + 1 };
  const imported = importFile(path, options);
  return { frame: imported.frame, place: imported.format === 'csv' ? 'line' : 'row', lineOf: imported.lineOf };
}
