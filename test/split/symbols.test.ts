import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { frameSha256 } from '../../lib/data/dataset';
import { generateEmbedded, readEmbeddedSpec } from '../../lib/data/embedded';
import { generateSyntheticSymbols } from '../../lib/data/syntheticSymbols';
import { validateOhlcv } from '../../lib/data/validate';
import { symbolBlocks, symbolSplit } from '../../lib/split/symbols';
import { splitFile } from '../../lib/split/splitFile';
import { temporalSplit } from '../../lib/split/temporal';
import { prepareData } from '../../lib/tensors/prepare';
import { correlation, logReturns } from '../helpers/stats';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * Two symbols in one symbol-major frame (A's rows, then B's), on the same clock. The
 * feature `marker` is the symbol's own id: a window whose bars span two symbols would hold
 * both ids. B's label is planted to be A's marker at the boundary: a window crossing from A
 * into B could read it.
 */
function twoSymbols(n: number, bStartsLater = 0): pl.DataFrame {
  const part = (symbol: string, id: number, offset: number) => pl.DataFrame({
    timestamp: Array.from({ length: n }, (_, i) => T0 + (i + offset) * 15 * MINUTE),
    symbol: Array.from({ length: n }, () => symbol),
    close: Array.from({ length: n }, (_, i) => 100 + i),
    marker: Array.from({ length: n }, () => id),
    noise: Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + id)),
    label: Array.from({ length: n }, (_, i) => (i + id) % 2),
  });
  return pl.concat([part('AAA', 0, 0), part('BBB', 1, bStartsLater)]);
}

/** The symbols (by marker) a window ending at `end` holds. */
function markersOf(marker: number[], end: number, window: number): Set<number> {
  return new Set(marker.slice(end - window + 1, end + 1));
}

describe('several symbols', () => {
  it('windows never cross a symbol: the same frame split as one series would have windows across the boundary', () => {
    const frame = twoSymbols(2000);
    const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    const symbols = frame.getColumn('symbol').toArray() as string[];
    const marker = frame.getColumn('marker').toArray() as number[];
    const window = 32;
    const options = { window, horizon: 4, train: 0.6, val: 0.2 };
    const split = splitFile(symbolSplit(t, symbols, options), frameSha256Like(frame), frame.height);
    const data = prepareData(frame, split, { window, featureNames: ['marker', 'noise'] });
    const ends = [...data.train, ...data.val, ...data.test!];
    expect(ends.length).toBeGreaterThan(2000);
    const crossing = ends.filter((e) => markersOf(marker, e, window).size > 1);
    expect(crossing).toEqual([]);
    // both symbols are in every part
    for (const part of [data.train, data.val, data.test!]) {
      expect(new Set(Array.from(part, (e) => symbols[e]))).toEqual(new Set(['AAA', 'BBB']));
    }
    // the same rows taken as one series (what a single-symbol split does): windows would cross from AAA into BBB
    const naive = prepareData(frame, splitFile(temporalSplit(t, options), frameSha256Like(frame), frame.height), { window, featureNames: ['marker', 'noise'] });
    const naiveEnds = [...naive.train, ...naive.val, ...naive.test!];
    expect(naiveEnds.filter((e) => markersOf(marker, e, window).size > 1).length).toBeGreaterThan(0);
    // and the persistence rule's last move never compares BBB's first close with AAA's last
    expect(data.lastMove[2000]).toBe(0);
    expect(data.lastMove[1999]).toBe(1);
  });

  it('splits every symbol at the same dates, each with its purge, even when a symbol starts later', () => {
    const frame = twoSymbols(3000, 600); // BBB's bars start 600 bars (6¼ days) after AAA's
    const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    const s = symbolSplit(t, frame.getColumn('symbol').toArray() as string[], { window: 20, horizon: 5, train: 0.6, val: 0.2 });
    expect(s.symbols.map((x) => x.symbol)).toEqual(['AAA', 'BBB']);
    const [a, b] = s.symbols;
    // the same calendar boundaries: the first bar after each purge is at the same time for both
    expect(b.val.from).toBe(a.val.from);
    expect(b.test.from).toBe(a.test.from);
    // the boundary dates cut the distinct timestamps of both symbols (3600 of them) at 60 % and 80 %
    const distinct = [...new Set(Array.from(t))].sort((x, y) => x - y);
    const valStart = distinct[Math.floor(distinct.length * 0.6)];
    expect(Date.parse(a.train.to!)).toBeLessThan(valStart);
    expect(Date.parse(a.val.from!)).toBe(valStart + 25 * 15 * MINUTE); // purge window + horizon = 25 bars
    for (const x of s.symbols) {
      expect(x.val.start - x.train.end).toBe(25);
      expect(x.test.start - x.val.end).toBe(25);
      expect(x.train.start).toBe(x.start);
      expect(x.test.end).toBe(x.end);
    }
    expect(s.train.rows).toBe(a.train.rows + b.train.rows);
    expect(b.train.rows).toBe(a.train.rows - 600);
  });

  it('refuses a frame whose symbols are interleaved, and names the symbol whose part is empty', () => {
    expect(() => symbolBlocks(['A', 'B', 'A'])).toThrow(/symbol A appears again at row 3/);
    const frame = twoSymbols(3000, 2700); // 5700 distinct bars: validation starts at bar 3420, after AAA ends
    const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    expect(() => symbolSplit(t, frame.getColumn('symbol').toArray() as string[], { window: 20, horizon: 5 })).toThrow(/^AAA: split: the val part is empty/);
  });

  it('generates correlated symbols with their own volatilities, valid per symbol, and the three-symbol option reproduces its sha256', () => {
    const frame = generateSyntheticSymbols({
      bars: 20_000, seed: 3, correlation: 0.6,
      symbols: [{ symbol: 'LO', annualVol: 0.4, startPrice: 100 }, { symbol: 'MID', annualVol: 0.8, startPrice: 50 }, { symbol: 'HI', annualVol: 1.6, startPrice: 10 }],
    });
    const close = (s: string) => Float64Array.from(frame.filter(pl.col('symbol').eq(pl.lit(s))).getColumn('close').toArray() as number[]);
    const r = ['LO', 'MID', 'HI'].map((s) => logReturns(close(s)));
    const sd = r.map((x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length));
    expect(sd[0]).toBeLessThan(sd[1]);
    expect(sd[1]).toBeLessThan(sd[2]);
    expect(sd[2] / sd[0]).toBeGreaterThan(2.5); // 1.6 / 0.4 = 4 by construction, blurred by the regimes
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) expect(correlation(r[i], r[j])).toBeGreaterThan(0.3);
    const independent = generateSyntheticSymbols({ bars: 20_000, seed: 3, correlation: 0, symbols: [{ symbol: 'A', annualVol: 0.5, startPrice: 1 }, { symbol: 'B', annualVol: 0.5, startPrice: 1 }] });
    const ra = logReturns(Float64Array.from(independent.filter(pl.col('symbol').eq(pl.lit('A'))).getColumn('close').toArray() as number[]));
    const rb = logReturns(Float64Array.from(independent.filter(pl.col('symbol').eq(pl.lit('B'))).getColumn('close').toArray() as number[]));
    expect(Math.abs(correlation(ra, rb))).toBeLessThan(0.05);
    // two symbols share every timestamp: not duplicates; a duplicate inside one symbol is, and is named
    expect(validateOhlcv(frame).ok).toBe(true);
    const doubled = pl.concat([frame, frame.filter(pl.col('symbol').eq(pl.lit('MID'))).head(1)]);
    const report = validateOhlcv(doubled);
    expect(report.counts.duplicate).toBe(1);
    expect(report.issues.find((i) => i.rule === 'duplicate')?.message).toMatch(/row 60001: duplicate: MID: 2024-01-01T00:00:00.000Z already at data row 20001/);
    const spec = readEmbeddedSpec(undefined, 'three-symbol');
    expect(frameSha256(generateEmbedded(spec).frame)).toBe(spec.sha256);
  });
});

/** A stand-in data hash for split files of frames that are not OHLCV. */
function frameSha256Like(frame: pl.DataFrame): string {
  return require('node:crypto').createHash('sha256').update(String(frame.height)).digest('hex');
}
