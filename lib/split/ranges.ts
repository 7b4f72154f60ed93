/** A half-open range of rows [start, end) of a feature frame, with its time span. */
export interface RowRange {
  start: number;
  end: number;
  rows: number;
  from: string | null;
  to: string | null;
}

/** [start, end) with its first and last timestamps (UTC ISO). */
export function rowRange(start: number, end: number, timestamps: ArrayLike<number>): RowRange {
  const rows = Math.max(0, end - start);
  return {
    start,
    end,
    rows,
    from: rows > 0 ? new Date(timestamps[start]).toISOString() : null,
    to: rows > 0 ? new Date(timestamps[end - 1]).toISOString() : null,
  };
}

/** Bars strictly between two ranges (negative when they overlap). */
export function gapBetween(earlier: RowRange, later: RowRange): number {
  return later.start - earlier.end;
}
