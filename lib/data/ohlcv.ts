import pl from 'nodejs-polars';
import { InputError } from '../util/errors';

/** Column order of an OHLCV frame: timestamp is UTC epoch milliseconds (Int64). */
export const OHLCV_COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'symbol'] as const;

/** The numeric columns of an OHLCV frame as typed arrays (timestamps as float64 ms). */
export interface OhlcvArrays {
  timestamp: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** Build an OHLCV frame from typed arrays, with the canonical dtypes. */
export function ohlcvFrame(arrays: OhlcvArrays, symbol: string): pl.DataFrame {
  return pl.DataFrame({
    timestamp: pl.Series('timestamp', arrays.timestamp).cast(pl.Int64),
    open: pl.Series('open', arrays.open),
    high: pl.Series('high', arrays.high),
    low: pl.Series('low', arrays.low),
    close: pl.Series('close', arrays.close),
    volume: pl.Series('volume', arrays.volume),
    symbol: pl.Series('symbol', new Array(arrays.timestamp.length).fill(symbol), pl.Utf8),
  });
}

/** Read the numeric OHLCV columns out of a frame; nulls become NaN. */
export function ohlcvArrays(frame: pl.DataFrame): OhlcvArrays {
  requireOhlcv(frame);
  const filled = frame.select(
    ...OHLCV_COLUMNS.filter((c) => c !== 'symbol').map((c) => pl.col(c).cast(pl.Float64).fillNull(pl.lit(NaN))),
  );
  const column = (name: string) => filled.getColumn(name).toTypedArray() as Float64Array;
  return {
    timestamp: column('timestamp'),
    open: column('open'),
    high: column('high'),
    low: column('low'),
    close: column('close'),
    volume: column('volume'),
  };
}

/** Throws, naming the missing columns, unless the frame has every OHLCV column. */
export function requireOhlcv(frame: pl.DataFrame, where = 'frame'): void {
  const missing = OHLCV_COLUMNS.filter((c) => !frame.columns.includes(c));
  if (missing.length > 0) {
    throw new InputError(
      `${where} is not an OHLCV frame: missing column(s) ${missing.join(', ')} (has ${frame.columns.join(', ')})`,
    );
  }
}

/** The frame's symbols, in order of appearance. */
export function symbolsOf(frame: pl.DataFrame): string[] {
  return frame.getColumn('symbol').unique({ maintainOrder: true } as never).toArray() as string[];
}
