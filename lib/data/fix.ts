import pl from 'nodejs-polars';

export interface FixOptions {
  sort?: boolean;
  dropDuplicates?: boolean;
}

export interface FixResult {
  frame: pl.DataFrame;
  /** What was done, in words, one line per action (empty when nothing changed). */
  actions: string[];
}

/**
 * Repairs that are asked for by name and nothing else: sort by time (stable), drop rows
 * whose timestamp repeats an earlier one (the first is kept). Values are never invented.
 */
export function fixOhlcv(frame: pl.DataFrame, options: FixOptions): FixResult {
  const actions: string[] = [];
  let out = frame;
  if (options.sort) {
    const t = out.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    let moved = 0;
    for (let i = 1; i < t.length; i++) if (t[i] < t[i - 1]) moved++;
    if (moved > 0) {
      out = out.sort({ by: 'timestamp', maintainOrder: true } as never);
      actions.push(`sorted by timestamp (${moved} row(s) were out of order)`);
    }
  }
  if (options.dropDuplicates) {
    const before = out.height;
    out = out.unique({ subset: ['symbol', 'timestamp'], keep: 'first', maintainOrder: true } as never);
    if (out.height < before) actions.push(`dropped ${before - out.height} row(s) repeating an earlier timestamp (kept the first)`);
  }
  return { frame: out, actions };
}
