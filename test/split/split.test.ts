import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalSplit } from '../../lib/split/temporal';
import { walkForward } from '../../lib/split/walkForward';
import { loadSplit, saveSplit, splitFile } from '../../lib/split/splitFile';
import { gapBetween } from '../../lib/split/ranges';
import { tempDir } from '../helpers/cli';

const HOUR = 3_600_000;
const t = Float64Array.from({ length: 10_000 }, (_, i) => Date.UTC(2024, 0, 1) + i * HOUR);

describe('temporalSplit', () => {
  it('cuts by fraction in time order with a purge of window + horizon by default', () => {
    const s = temporalSplit(t, { train: 0.6, val: 0.2, window: 60, horizon: 15 });
    expect(s.purgeBars).toBe(75);
    expect(s.train).toMatchObject({ start: 0, end: 6000, rows: 6000 });
    expect(s.val).toMatchObject({ start: 6075, end: 8000 });
    expect(s.test).toMatchObject({ start: 8075, end: 10_000 });
    expect(gapBetween(s.train, s.val)).toBe(75);
    expect(gapBetween(s.val, s.test)).toBe(75);
    expect(s.val.from).toBe(new Date(t[6075]).toISOString());
    expect(s.test.to).toBe(new Date(t[9999]).toISOString());
  });

  it('adds the embargo after the purge, and refuses a purge shorter than window + horizon', () => {
    const s = temporalSplit(t, { window: 30, horizon: 10, purgeBars: 50, embargoBars: 20 });
    expect(gapBetween(s.train, s.val)).toBe(70);
    expect(() => temporalSplit(t, { window: 60, horizon: 15, purgeBars: 74 })).toThrow(/purgeBars 74 is less than window \+ horizon = 60 \+ 15 = 75/);
    expect(() => temporalSplit(t.subarray(0, 100), {})).toThrow(/part is empty/);
    expect(() => temporalSplit(t, { train: 0.8, val: 0.3 })).toThrow(/must leave room for test/);
  });

  it('cuts by date at the first bar on or after each start', () => {
    const s = temporalSplit(t, { method: 'date', valStart: '2024-06-01T00:00:00Z', testStart: '2024-09-01T00:00:00Z' });
    expect(s.train.end).toBe((Date.UTC(2024, 5, 1) - Date.UTC(2024, 0, 1)) / HOUR);
    expect(s.test.start).toBe((Date.UTC(2024, 8, 1) - Date.UTC(2024, 0, 1)) / HOUR + 75);
    expect(() => temporalSplit(t, { method: 'date', valStart: '2024-06-01T00:00:00Z' })).toThrow(/needs valStart and testStart/);
  });
});

describe('walkForward', () => {
  it('expanding folds train on everything before the purge; test blocks tile the rest', () => {
    const folds = walkForward(t, { folds: 4, initialTrain: 0.5 });
    expect(folds).toHaveLength(4);
    for (const f of folds) {
      expect(f.train.start).toBe(0);
      expect(gapBetween(f.train, f.test)).toBe(75);
    }
    for (let k = 1; k < 4; k++) expect(folds[k].test.start).toBe(folds[k - 1].test.end);
    expect(folds[3].test.end).toBe(10_000);
  });

  it('rolling folds keep the training length fixed', () => {
    const folds = walkForward(t, { folds: 3, mode: 'rolling', initialTrain: 0.4, embargoBars: 5 });
    expect(new Set(folds.map((f) => f.train.rows))).toEqual(new Set([4000]));
    expect(folds[2].train.start).toBeGreaterThan(0);
    for (const f of folds) expect(gapBetween(f.train, f.test)).toBe(80);
  });
});

describe('split files', () => {
  it('round-trip, and refuse data with another sha256', () => {
    const path = join(tempDir(), 'split.json');
    const sha = 'a'.repeat(64);
    saveSplit(path, splitFile(temporalSplit(t), sha, t.length, walkForward(t, { folds: 2 })));
    const loaded = loadSplit(path, sha);
    expect(loaded.train.rows).toBe(7000);
    expect(loaded.folds).toHaveLength(2);
    expect(() => loadSplit(path, 'b'.repeat(64))).toThrow(/was made on data with sha256 aaaaaaaaaaaa…, not this data \(bbbbbbbbbbbb…\)/);
    expect(() => loadSplit(join(tempDir(), 'none.json'))).toThrow(/no such split file/);
  });
});
