import { describe, expect, it } from 'vitest';
import { generateSynthetic, generateSyntheticSeries, weekdayOf } from '../../lib/data/synthetic';
import { frameSha256 } from '../../lib/data/dataset';
import { readEmbeddedSpec } from '../../lib/data/embedded';
import { validateOhlcv } from '../../lib/data/validate';
import { correlation, kurtosis, logReturns, mean } from '../helpers/stats';

const year15m = generateSyntheticSeries({ interval: '15m', days: 365, seed: 11 });
const r = logReturns(year15m.close);

describe('synthetic provider', () => {
  it('is deterministic by seed, and the embedded default reproduces its committed sha256', () => {
    const a = generateSynthetic({ bars: 2000, seed: 5 });
    expect(frameSha256(generateSynthetic({ bars: 2000, seed: 5 }))).toBe(frameSha256(a));
    expect(frameSha256(generateSynthetic({ bars: 2000, seed: 6 }))).not.toBe(frameSha256(a));
    const spec = readEmbeddedSpec();
    expect(frameSha256(generateSynthetic(spec.generator))).toBe(spec.sha256);
  });

  it('makes valid bars at every interval from 1m to 1d', () => {
    for (const interval of ['1m', '5m', '15m', '1h', '4h', '1d']) {
      const frame = generateSynthetic({ interval, bars: 3000, seed: 1, symbol: 'ABC' });
      const report = validateOhlcv(frame);
      expect(report.ok, `${interval}: ${report.issues[0]?.message}`).toBe(true);
      expect(report.interval).toBe(interval);
      expect(report.gaps.count).toBe(0);
      expect(frame.getColumn('symbol').get(0)).toBe('ABC');
    }
  });

  it('has fat tails and volatility clustering', () => {
    expect(kurtosis(r)).toBeGreaterThan(6);
    const abs = r.map(Math.abs);
    expect(correlation(abs.subarray(0, -1), abs.subarray(1))).toBeGreaterThan(0.1);
    // raw returns are close to uncorrelated at lag 1 (no free lunch from the last bar)
    expect(Math.abs(correlation(r.subarray(0, -1), r.subarray(1)))).toBeLessThan(0.05);
  });

  it('switches volatility regimes: turbulent bars move more than calm ones', () => {
    const byRegime = [0, 1, 2].map((k) => mean(r.filter((_, i) => year15m.regime[i + 1] === k).map(Math.abs)));
    expect(byRegime[1]).toBeGreaterThan(1.3 * byRegime[0]);
    expect(byRegime[2]).toBeGreaterThan(1.5 * byRegime[1]);
  });

  it('has intraday and weekly seasonality of volatility and volume (UTC)', () => {
    const hour = (i: number) => Math.floor((year15m.timestamp[i] % 86_400_000) / 3_600_000);
    const absAt = (h: number) => mean(r.filter((_, i) => hour(i + 1) === h).map(Math.abs));
    expect(absAt(14)).toBeGreaterThan(1.3 * absAt(3));
    const vol = (weekend: boolean) => mean(year15m.volume.filter((_, i) => (weekdayOf(year15m.timestamp[i]) >= 5) === weekend));
    expect(vol(false)).toBeGreaterThan(1.5 * vol(true));
  });

  it('has a weak short-horizon edge that changes with the regime', () => {
    const past = 20, horizon = 15;
    const xs: number[] = [], ys: number[] = [], regime: number[] = [];
    const c = year15m.close;
    for (let i = past; i + horizon < c.length; i++) {
      xs.push(Math.log(c[i] / c[i - past]));
      ys.push(Math.log(c[i + horizon] / c[i]));
      regime.push(year15m.regime[i]);
    }
    const hit = mean(xs.map((x, i) => Number(x > 0 === ys[i] > 0)));
    expect(hit).toBeGreaterThan(0.52); // a momentum rule finds an edge …
    expect(hit).toBeLessThan(0.6); // … a weak one
    const corrIn = (k: number) => correlation(xs.filter((_, i) => regime[i] === k), ys.filter((_, i) => regime[i] === k));
    expect(corrIn(0)).toBeGreaterThan(corrIn(2) + 0.05);
  });

  it('keeps prices and volumes positive and OHLC consistent', () => {
    const s = generateSyntheticSeries({ interval: '1m', bars: 50_000, seed: 3 });
    for (let i = 0; i < s.close.length; i++) {
      expect(s.low[i] > 0 && s.volume[i] > 0).toBe(true);
      if (!(s.low[i] <= Math.min(s.open[i], s.close[i]) && s.high[i] >= Math.max(s.open[i], s.close[i]))) throw new Error(`bar ${i} inconsistent`);
    }
  });
});
