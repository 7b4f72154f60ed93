import { InputError } from '../util/errors';
import { SplitOptions } from './options';
import { rowRange, type RowRange } from './ranges';
import { temporalSplit, type TemporalSplit } from './temporal';

/** One symbol's rows of a symbol-major frame, [start, end), and its parts (rows of the whole frame). */
export interface SymbolSegment {
  symbol: string;
  start: number;
  end: number;
  train: RowRange;
  val: RowRange;
  test: RowRange;
}

/** The rows of each symbol: every symbol must be one contiguous block (as buildFeatures lays them out). */
export function symbolBlocks(symbols: ArrayLike<string>): Array<{ symbol: string; start: number; end: number }> {
  const blocks: Array<{ symbol: string; start: number; end: number }> = [];
  for (let i = 0; i < symbols.length; i++) {
    const last = blocks.at(-1);
    if (last && last.symbol === symbols[i]) last.end = i + 1;
    else {
      if (blocks.some((b) => b.symbol === symbols[i])) throw new InputError(`symbol ${symbols[i]} appears again at row ${i + 1} after other symbols: a multi-symbol feature frame holds each symbol's rows together, in time order`);
      blocks.push({ symbol: symbols[i], start: i, end: i + 1 });
    }
  }
  return blocks;
}

/**
 * Train / val / test for several symbols, aligned in time: the same boundary dates for
 * every symbol (by fraction: of the distinct timestamps of all symbols; by date: the
 * config's), each symbol split at them with the purge and embargo after each boundary.
 * Every part of every symbol must hold rows. The top-level parts sum the symbols' rows
 * (their start and end span the frame: use each symbol's ranges for rows).
 */
export function symbolSplit(timestamps: ArrayLike<number>, symbols: ArrayLike<string>, options: SplitOptions = {}): TemporalSplit & { symbols: SymbolSegment[] } {
  const o = SplitOptions.parse(options);
  const blocks = symbolBlocks(symbols);
  const dates = o.method === 'date' ? { valStart: o.valStart, testStart: o.testStart } : boundaryDates(timestamps, o);
  const segments = blocks.map((b) => {
    const t = Array.prototype.slice.call(timestamps, b.start, b.end) as number[];
    let local: TemporalSplit;
    try {
      local = temporalSplit(t, { ...options, method: 'date', ...dates });
    } catch (error) {
      throw error instanceof InputError ? new InputError(`${b.symbol}: ${error.message}`) : error;
    }
    const shift = (r: RowRange) => rowRange(b.start + r.start, b.start + r.end, timestamps);
    return { symbol: b.symbol, start: b.start, end: b.end, train: shift(local.train), val: shift(local.val), test: shift(local.test) };
  });
  const first = temporalSplit(Array.prototype.slice.call(timestamps, blocks[0].start, blocks[0].end) as number[], { ...options, method: 'date', ...dates });
  const total = (part: 'train' | 'val' | 'test'): RowRange => {
    const ranges = segments.map((s) => s[part]);
    const times = ranges.flatMap((r) => [r.from, r.to]).filter((x): x is string => x !== null).sort();
    return { start: Math.min(...ranges.map((r) => r.start)), end: Math.max(...ranges.map((r) => r.end)), rows: ranges.reduce((n, r) => n + r.rows, 0), from: times[0] ?? null, to: times.at(-1) ?? null };
  };
  return { ...first, train: total('train'), val: total('val'), test: total('test'), symbols: segments };
}

/** The dates that cut the distinct timestamps of all symbols at the configured fractions. */
function boundaryDates(timestamps: ArrayLike<number>, o: ReturnType<typeof SplitOptions.parse>): { valStart: string; testStart: string } {
  if (o.train + o.val >= 1) throw new InputError(`split: train ${o.train} + val ${o.val} must leave room for test (sum < 1)`);
  const distinct = [...new Set(Array.from(timestamps))].sort((a, b) => a - b);
  const at = (fraction: number) => new Date(distinct[Math.min(distinct.length - 1, Math.floor(distinct.length * fraction))]).toISOString();
  return { valStart: at(o.train), testStart: at(o.train + o.val) };
}

/** A part's row ranges: one per symbol of a multi-symbol split, else the part itself. */
export function partRanges(split: { train: RowRange; val: RowRange; test: RowRange; symbols?: SymbolSegment[] }, part: 'train' | 'val' | 'test'): RowRange[] {
  return split.symbols?.length ? split.symbols.map((s) => s[part]) : [split[part]];
}

/** The split of one symbol of a multi-symbol split (its ranges become the parts). */
export function splitOfSymbol<T extends { train: RowRange; val: RowRange; test: RowRange; symbols?: SymbolSegment[] }>(split: T, symbol: string): T {
  const segment = split.symbols?.find((s) => s.symbol === symbol);
  if (!segment) throw new InputError(`the split has no symbol ${symbol} (symbols: ${(split.symbols ?? []).map((s) => s.symbol).join(', ') || 'none: a single-symbol split'})`);
  return { ...split, train: segment.train, val: segment.val, test: segment.test, symbols: [segment] };
}
