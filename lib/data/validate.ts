import type pl from 'nodejs-polars';
import { detectInterval, formatInterval } from './interval';
import { ohlcvArrays, type OhlcvArrays } from './ohlcv';

/** The rules of OHLCV validation; gaps are warnings (markets close), the rest errors. */
export const RULES = {
  order: 'timestamps must increase',
  duplicate: 'one bar per timestamp',
  'not-finite': 'values must be finite numbers (no NaN, Inf or missing)',
  'non-positive-price': 'prices must be > 0',
  'negative-volume': 'volume must be >= 0',
  ohlc: 'low <= open, close <= high',
  gap: 'bars should follow at the detected interval',
} as const;
export type Rule = keyof typeof RULES;

export interface ValidationIssue {
  rule: Rule;
  severity: 'error' | 'warning';
  /** 0-based data row */
  row: number;
  message: string;
}

export interface ValidationReport {
  source: string;
  rows: number;
  interval: string | null;
  intervalMs: number | null;
  start: string | null;
  end: string | null;
  /** Issue count per rule (complete, even when `issues` is capped). */
  counts: Partial<Record<Rule, number>>;
  errors: number;
  warnings: number;
  gaps: { count: number; longestBars: number; longestAtRow: number | null; missingBars: number };
  /** The first `maxIssues` issues in row order. */
  issues: ValidationIssue[];
  ok: boolean;
}

export interface ValidateOptions {
  /** Name used in messages (a file path). */
  source?: string;
  /** Maps a 0-based row to what the user sees (a CSV line number); default row + 1. */
  lineOf?: (row: number) => number;
  /** Place name of `lineOf`'s numbers; default "row". */
  place?: string;
  maxIssues?: number;
}

/**
 * Check a frame of OHLCV bars against every rule; never throws on bad data. With several
 * symbols (a `symbol` column), the time rules (order, duplicates, gaps) apply to each
 * symbol's own rows — two symbols share timestamps — and their messages name the symbol.
 */
export function validateOhlcv(frame: pl.DataFrame, options: ValidateOptions = {}): ValidationReport {
  const a = ohlcvArrays(frame);
  const source = options.source ?? 'frame';
  const lineOf = options.lineOf ?? ((row: number) => row + 1);
  const place = options.place ?? 'row';
  const maxIssues = options.maxIssues ?? 1000;
  const counts: Partial<Record<Rule, number>> = {};
  const issues: ValidationIssue[] = [];
  const add = (rule: Rule, row: number, detail: string) => {
    counts[rule] = (counts[rule] ?? 0) + 1;
    if (issues.length < maxIssues) {
      const severity = rule === 'gap' ? 'warning' : 'error';
      issues.push({ rule, severity, row, message: `${source} ${place} ${lineOf(row)}: ${rule}: ${detail}` });
    }
  };
  checkValues(a, add);
  const groups = symbolRows(frame);
  let intervalMs: number | null = null;
  const gaps = { count: 0, longestBars: 0, longestAtRow: null as number | null, missingBars: 0 };
  for (const [symbol, rows] of groups) {
    const t = rows ? Float64Array.from(rows, (r) => a.timestamp[r]) : a.timestamp;
    const rowOf = rows ? (i: number) => rows[i] : (i: number) => i;
    const named: Add = groups.size > 1 ? (rule, row, detail) => add(rule, row, `${symbol}: ${detail}`) : add;
    checkTime(t, rowOf, named);
    const interval = detectInterval(t);
    intervalMs ??= interval;
    const g = checkGaps(t, interval, rowOf, named);
    gaps.count += g.count;
    gaps.missingBars += g.missingBars;
    if (g.longestBars > gaps.longestBars) Object.assign(gaps, { longestBars: g.longestBars, longestAtRow: g.longestAtRow });
  }
  issues.sort((x, y) => x.row - y.row);
  const warnings = counts.gap ?? 0;
  const errors = Object.values(counts).reduce((s, c) => s + c, 0) - warnings;
  const n = a.timestamp.length;
  return {
    source,
    rows: n,
    interval: intervalMs === null ? null : formatInterval(intervalMs),
    intervalMs,
    start: n > 0 && Number.isFinite(a.timestamp[0]) ? new Date(a.timestamp[0]).toISOString() : null,
    end: n > 0 && Number.isFinite(a.timestamp[n - 1]) ? new Date(a.timestamp[n - 1]).toISOString() : null,
    counts,
    errors,
    warnings,
    gaps,
    issues,
    ok: errors === 0,
  };
}

type Add = (rule: Rule, row: number, detail: string) => void;

function checkValues(a: OhlcvArrays, add: Add): void {
  const names = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
  for (let i = 0; i < a.timestamp.length; i++) {
    const bad = names.filter((c) => !Number.isFinite(a[c][i]));
    if (bad.length > 0) {
      add('not-finite', i, `${bad.map((c) => `${c}=${a[c][i]}`).join(', ')}`);
      continue;
    }
    const [o, h, l, c, v] = [a.open[i], a.high[i], a.low[i], a.close[i], a.volume[i]];
    if (Math.min(o, h, l, c) <= 0) add('non-positive-price', i, `open=${o} high=${h} low=${l} close=${c}`);
    if (v < 0) add('negative-volume', i, `volume=${v}`);
    if (l > Math.min(o, c) || h < Math.max(o, c) || l > h) add('ohlc', i, `open=${o} high=${h} low=${l} close=${c}`);
  }
}

/** Each symbol's rows (null: every row, a frame of one symbol). */
function symbolRows(frame: pl.DataFrame): Map<string, Int32Array | null> {
  const symbols = frame.columns.includes('symbol') ? (frame.getColumn('symbol').toArray() as string[]) : [];
  const rows = new Map<string, number[]>();
  for (let i = 0; i < symbols.length; i++) {
    const list = rows.get(symbols[i]);
    if (list) list.push(i);
    else rows.set(symbols[i], [i]);
  }
  if (rows.size <= 1) return new Map([[symbols[0] ?? '', null]]);
  return new Map([...rows].map(([s, r]) => [s, Int32Array.from(r)]));
}

function checkTime(t: Float64Array, rowOf: (i: number) => number, add: Add): void {
  const firstRow = new Map<number, number>();
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i])) continue;
    const seen = firstRow.get(t[i]);
    if (seen !== undefined) add('duplicate', rowOf(i), `${iso(t[i])} already at data row ${rowOf(seen) + 1}`);
    else firstRow.set(t[i], i);
    if (i > 0 && t[i] < t[i - 1]) add('order', rowOf(i), `${iso(t[i])} comes after ${iso(t[i - 1])}`);
  }
}

function checkGaps(t: Float64Array, intervalMs: number | null, rowOf: (i: number) => number, add: Add): ValidationReport['gaps'] {
  const gaps = { count: 0, longestBars: 0, longestAtRow: null as number | null, missingBars: 0 };
  if (intervalMs === null) return gaps;
  for (let i = 1; i < t.length; i++) {
    const step = t[i] - t[i - 1];
    if (!(step > intervalMs)) continue;
    const missing = Math.round(step / intervalMs) - 1;
    if (missing < 1) continue;
    gaps.count++;
    gaps.missingBars += missing;
    if (missing > gaps.longestBars) {
      gaps.longestBars = missing;
      gaps.longestAtRow = rowOf(i);
    }
    add('gap', rowOf(i), `${missing} bar(s) missing between ${iso(t[i - 1])} and ${iso(t[i])}`);
  }
  return gaps;
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
