import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../lib/data/import';
import { parseMapping } from '../../lib/data/columns';
import { parseIsoTimestamp } from '../../lib/data/timestamps';
import { InputError } from '../../lib/util/errors';
import { tempDir } from '../helpers/cli';
import { writeDailyCsv } from '../helpers/csv';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('importFile', () => {
  it('reads a daily date,open,high,low,close,adjclose,volume CSV with no options, adjclose ignored', () => {
    const path = writeDailyCsv(dir, 'daily.csv', 50);
    const { frame, mapping, timestampUnit } = importFile(path);
    expect(frame.height).toBe(50);
    expect(frame.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'symbol']);
    expect(mapping.timestamp).toBe('date');
    expect(mapping.adjclose).toBe('adjclose');
    expect(timestampUnit).toBe('iso');
    const raw = pl.readCSV(path);
    expect(frame.getColumn('close').toArray()).toEqual(raw.getColumn('close').toArray());
    expect(new Date(Number(frame.getColumn('timestamp').toArray()[0])).toISOString().slice(0, 10)).toBe(raw.getColumn('date').get(0));
    expect(frame.getColumn('symbol').get(0)).toBe('daily');
  });

  it('uses adjclose only when asked, scaling the other prices by the same factor', () => {
    const path = writeDailyCsv(dir, 'adj.csv', 10);
    const plain = importFile(path).frame;
    const adjusted = importFile(path, { adjusted: true }).frame;
    const ratio = (adjusted.getColumn('close').get(3) as number) / (plain.getColumn('close').get(3) as number);
    expect(ratio).toBeCloseTo(0.98, 3);
    expect((adjusted.getColumn('high').get(3) as number) / (plain.getColumn('high').get(3) as number)).toBeCloseTo(ratio, 9);
  });

  it('detects epoch seconds and milliseconds, any column case, and ISO with zones', () => {
    const s = write('s.csv', 'Timestamp,OPEN,High,low,Close,Volume\n1700000000,1,2,0.5,1.5,10\n1700000060,1,2,0.5,1.5,10\n');
    expect(importFile(s).timestampUnit).toBe('s');
    expect(importFile(s).frame.getColumn('timestamp').toArray()[1]).toBe(1_700_000_060_000); // (Series.get truncates Int64 in nodejs-polars 0.24)
    const ms = write('ms.csv', 'time,o,h,l,c,v\n1700000000000,1,2,0.5,1.5,10\n');
    expect(importFile(ms).timestampUnit).toBe('ms');
    expect(parseIsoTimestamp('2024-03-01T10:00:00+02:00')).toBe(Date.UTC(2024, 2, 1, 8));
    expect(parseIsoTimestamp('2024-03-01 10:00')).toBe(Date.UTC(2024, 2, 1, 10)); // no zone: UTC, not local
    expect(parseIsoTimestamp('2024-02-30')).toBeNaN();
    expect(parseIsoTimestamp('yesterday')).toBeNaN();
  });

  it('takes an explicit mapping over detection and names a mapped column that does not exist', () => {
    const p = write('odd.csv', 'when,first,top,bottom,last,qty,close\n2024-01-01,1,2,0.5,1.5,10,99\n');
    const mapping = parseMapping('timestamp=when,open=first,high=top,low=bottom,close=last,volume=qty');
    expect(importFile(p, { mapping }).frame.getColumn('close').get(0)).toBe(1.5);
    expect(() => importFile(p, { mapping: { close: 'nope' } })).toThrow(/mapping close=nope names no column/);
    expect(() => importFile(p)).toThrow(/cannot find column\(s\) for timestamp, open, high, low, volume/);
    expect(() => parseMapping('price=x')).toThrow(/invalid --map entry/);
  });

  it('names the line and column of a non-numeric or missing value, and reads nothing', () => {
    const path = writeDailyCsv(dir, 'bad.csv', 30, (lines) => {
      lines[4] = lines[4].replace(/,[^,]+,([^,]+,[^,]+,[^,]+,[^,]+)$/, ',abc,$1'); // high → abc
      lines[9] = lines[9].split(',').map((v, i) => (i === 4 ? '' : v)).join(','); // close empty
      return lines;
    });
    let error: unknown;
    try {
      importFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain('2 bad value(s)');
    expect(message).toMatch(/line 6: column high: "abc" is not a number/);
    expect(message).toMatch(/line 11: column close is empty/);
    expect(message).toContain(path);
  });

  it('reads parquet, including a Datetime column, and rejects unknown file types', () => {
    const p = join(dir, 'x.parquet');
    pl.DataFrame({
      Date: pl.Series('Date', [1_700_000_000_000, 1_700_000_060_000]).cast(pl.Datetime('ms')),
      Open: [1, 1], High: [2, 2], Low: [0.5, 0.5], Close: [1.5, 1.6], Volume: [3, 4],
    }).writeParquet(p);
    const { frame, format } = importFile(p);
    expect(format).toBe('parquet');
    expect(frame.getColumn('timestamp').toArray()).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    expect(() => importFile(write('x.json', '{}'))).toThrow(/unknown file type ".json"/);
    expect(() => importFile(join(dir, 'missing.csv'))).toThrow(/no such file/);
  });
});
