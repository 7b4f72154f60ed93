import { describe, expect, it } from 'vitest';
import { ohlcvFrame } from '../../lib/data/ohlcv';
import { validateOhlcv } from '../../lib/data/validate';
import { fixOhlcv } from '../../lib/data/fix';

const MIN = 60_000;
function frame(rows: Array<[number, number, number, number, number, number]>) {
  const col = (k: number) => Float64Array.from(rows, (r) => r[k]);
  return ohlcvFrame({ timestamp: col(0), open: col(1), high: col(2), low: col(3), close: col(4), volume: col(5) }, 'T');
}
const good = (i: number): [number, number, number, number, number, number] => [i * MIN, 10, 11, 9, 10.5, 100];

describe('validateOhlcv', () => {
  it('passes clean bars and detects the interval', () => {
    const report = validateOhlcv(frame(Array.from({ length: 10 }, (_, i) => good(i))), { source: 'clean.csv' });
    expect(report.ok).toBe(true);
    expect(report.interval).toBe('1m');
    expect(report.errors).toBe(0);
  });

  it('names the rule and row of every kind of error', () => {
    const rows = Array.from({ length: 12 }, (_, i) => good(i));
    rows[2] = [2 * MIN, 10, 11, 9, NaN, 100]; // not finite
    rows[3] = [3 * MIN, 10, 9.5, 9, 10, 100]; // high below open
    rows[4] = [4 * MIN, -1, 11, -2, 10, 100]; // non-positive price
    rows[5] = [5 * MIN, 10, 11, 9, 10, -5]; // negative volume
    rows[7] = [6 * MIN, 10, 11, 9, 10, 100]; // duplicate of row 6's time … and out of order
    const report = validateOhlcv(frame(rows), { source: 'bad.csv', place: 'line', lineOf: (r) => r + 2 });
    expect(report.ok).toBe(false);
    const find = (rule: string) => report.issues.find((i) => i.rule === rule)!;
    expect(find('not-finite').message).toBe('bad.csv line 4: not-finite: close=NaN');
    expect(find('ohlc').row).toBe(3);
    expect(find('non-positive-price').row).toBe(4);
    expect(find('negative-volume').message).toContain('line 7');
    expect(find('duplicate').row).toBe(7);
    expect(find('duplicate').message).toContain('already at data row 7');
    expect(report.counts.duplicate).toBe(1);
  });

  it('flags unsorted rows and reports gaps as warnings with the longest', () => {
    const rows = [good(0), good(2), good(1), good(3), good(10), good(11), good(15)];
    const report = validateOhlcv(frame(rows));
    expect(report.counts.order).toBe(1);
    expect(report.issues.find((i) => i.rule === 'order')!.row).toBe(2);
    const sorted = validateOhlcv(frame([good(0), good(1), good(2), good(3), good(10), good(11), good(15)]));
    expect(sorted.ok).toBe(true);
    expect(sorted.warnings).toBe(2);
    expect(sorted.gaps).toEqual({ count: 2, longestBars: 6, longestAtRow: 4, missingBars: 9 });
  });
});

describe('fixOhlcv', () => {
  it('does only what it is told and says what it did', () => {
    const f = frame([good(1), good(0), good(2), good(2), good(3)]);
    expect(fixOhlcv(f, {}).actions).toEqual([]);
    const sorted = fixOhlcv(f, { sort: true });
    expect(sorted.frame.height).toBe(5);
    expect(sorted.actions).toEqual(['sorted by timestamp (1 row(s) were out of order)']);
    const both = fixOhlcv(f, { sort: true, dropDuplicates: true });
    expect(both.actions[1]).toBe('dropped 1 row(s) repeating an earlier timestamp (kept the first)');
    expect(validateOhlcv(both.frame).ok).toBe(true);
    expect(both.frame.getColumn('timestamp').toArray()).toEqual([0, MIN, 2 * MIN, 3 * MIN]);
  });
});
