import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import pl from 'nodejs-polars';
import { InputError } from '../util/errors';
import { detectColumns, type ColumnMapping } from './columns';
import { ohlcvFrame, type OhlcvArrays } from './ohlcv';
import { numericUnit, parseIsoTimestamp, PLAUSIBLE_MS, toMilliseconds, type TimestampUnit } from './timestamps';

export interface ImportOptions {
  /** Explicit source columns; the rest are detected by name. */
  mapping?: Partial<ColumnMapping>;
  /** Scale open/high/low/close by adjclose/close (split- and dividend-adjusted prices). */
  adjusted?: boolean;
  /** Symbol when the file has no symbol column (default: the file name up to its first dot). */
  symbol?: string;
}

export interface ImportResult {
  frame: pl.DataFrame;
  mapping: ColumnMapping;
  timestampUnit: TimestampUnit;
  format: 'csv' | 'parquet';
  /** Where data row i came from: line number in a CSV (header is line 1), row number in parquet. */
  lineOf: (row: number) => number;
}

const MAX_LISTED = 10;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$/i;

/**
 * Read a CSV or parquet file of candles into an OHLCV frame, rows in file order (sorting
 * is validation's and --fix's business). Non-numeric or missing values are errors that
 * name the file, the line and the column; nothing is filled in.
 */
export function importFile(path: string, options: ImportOptions = {}): ImportResult {
  const format = formatOf(path);
  const raw = readRaw(path, format);
  const mapping = detectColumns(raw.columns, options.mapping, path);
  const lineOf = format === 'csv' ? (row: number) => row + 2 : (row: number) => row + 1;
  const place = format === 'csv' ? 'line' : 'row';
  const problems: string[] = [];
  let count = 0;
  const report = (row: number, message: string) => {
    count++;
    if (problems.length < MAX_LISTED) problems.push(`${place} ${lineOf(row)}: ${message}`);
  };
  const numbers = (name: string) => numericColumn(raw.getColumn(name), name, report);
  const { values: timestamp, unit } = timestampColumn(raw.getColumn(mapping.timestamp), mapping.timestamp, report);
  const arrays: OhlcvArrays = {
    timestamp,
    open: numbers(mapping.open),
    high: numbers(mapping.high),
    low: numbers(mapping.low),
    close: numbers(mapping.close),
    volume: numbers(mapping.volume),
  };
  if (options.adjusted) applyAdjustment(arrays, mapping, numbers, path);
  if (count > 0) {
    const more = count > problems.length ? `\n  … and ${count - problems.length} more` : '';
    throw new InputError(`${path}: ${count} bad value(s):\n  ${problems.join('\n  ')}${more}\nfix the file (or map other columns with --map) and import again`);
  }
  const symbol = options.symbol ?? basename(path).split('.')[0];
  let frame = ohlcvFrame(arrays, symbol);
  if (mapping.symbol) frame = frame.withColumn(raw.getColumn(mapping.symbol).cast(pl.Utf8).alias('symbol'));
  return { frame, mapping, timestampUnit: unit, format, lineOf };
}

function formatOf(path: string): 'csv' | 'parquet' {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.txt') return 'csv';
  throw new InputError(`${path}: unknown file type ${JSON.stringify(ext)} (expected .csv or .parquet)`);
}

function readRaw(path: string, format: 'csv' | 'parquet'): pl.DataFrame {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  try {
    // CSV: every column as text, so a stray word in a number column is reported, not guessed.
    const frame = format === 'csv' ? pl.readCSV(path, { inferSchemaLength: 0 }) : pl.readParquet(path);
    if (frame.height === 0) throw new InputError(`${path}: no data rows`);
    return frame;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot read as ${format}: ${(error as Error).message}`);
  }
}

type Report = (row: number, message: string) => void;

function numericColumn(series: pl.Series, name: string, report: Report): Float64Array {
  const out = new Float64Array(series.length);
  const values = series.toArray() as unknown[];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
      report(i, `column ${name} is empty (missing value)`);
      out[i] = NaN;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      out[i] = Number(v);
    } else if (typeof v === 'string' && NUMBER.test(v.trim())) {
      out[i] = Number(v.trim().replace(/^([+-]?)inf$/i, '$1Infinity'));
    } else {
      report(i, `column ${name}: ${JSON.stringify(String(v))} is not a number`);
      out[i] = NaN;
    }
  }
  return out;
}

function timestampColumn(series: pl.Series, name: string, report: Report): { values: Float64Array; unit: TimestampUnit } {
  const values = series.toArray() as unknown[];
  const out = new Float64Array(values.length);
  const dtype = String(series.dtype);
  if (/Date/.test(dtype)) {
    values.forEach((v, i) => (out[i] = v instanceof Date ? v.getTime() : (report(i, `column ${name} is empty`), NaN)));
    return { values: out, unit: 'ms' };
  }
  const numeric = values.every((v) => v === null || typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && NUMBER.test(v.trim())));
  if (numeric) {
    const raw = numericColumn(series, name, report);
    const unit = numericUnit(raw) as Exclude<TimestampUnit, 'iso'>;
    raw.forEach((v, i) => {
      out[i] = toMilliseconds(v, unit);
      if (Number.isFinite(out[i]) && (out[i] < PLAUSIBLE_MS[0] || out[i] > PLAUSIBLE_MS[1])) {
        report(i, `column ${name}: ${v} is not a plausible time in ${unit} like the rest of the column (read as ${new Date(out[i]).getUTCFullYear() || 'a year out of range'})`);
        out[i] = NaN;
      }
    });
    return { values: out, unit };
  }
  values.forEach((v, i) => {
    out[i] = typeof v === 'string' ? parseIsoTimestamp(v) : NaN;
    if (Number.isNaN(out[i])) {
      report(i, v === null || v === '' ? `column ${name} is empty` : `column ${name}: ${JSON.stringify(String(v))} is not a date/time (expected ISO-8601 or epoch s/ms)`);
    }
  });
  return { values: out, unit: 'iso' };
}

function applyAdjustment(arrays: OhlcvArrays, mapping: ColumnMapping, numbers: (n: string) => Float64Array, path: string): void {
  if (!mapping.adjclose) throw new InputError(`${path}: adjusted prices asked for, but there is no adjclose column (map one with --map adjclose=<column>)`);
  const adj = numbers(mapping.adjclose);
  for (let i = 0; i < adj.length; i++) {
    const factor = adj[i] / arrays.close[i];
    arrays.open[i] *= factor;
    arrays.high[i] *= factor;
    arrays.low[i] *= factor;
    arrays.close[i] = adj[i];
  }
}
