import pl from 'nodejs-polars';
import { z } from 'zod';
import { Random } from '../util/random';
import { ohlcvFrame } from './ohlcv';
import { generateSyntheticSeries, syntheticBars } from './synthetic';

/**
 * Several synthetic symbols on the same clock: each the single-symbol generator (regimes,
 * GARCH, fat tails, seasonality, its own latent trend) with its own volatility and price,
 * their shocks sharing one market factor, so their returns are correlated.
 */
export const SyntheticSymbolsOptions = z
  .object({
    symbols: z.array(z.object({
      symbol: z.string().min(1),
      annualVol: z.number().positive(),
      startPrice: z.number().positive(),
    }).strict()).min(2, 'give at least two symbols (one symbol: use the synthetic source)'),
    /** Weight of the shared factor in each bar's shock (0: independent symbols). */
    correlation: z.number().min(0).lt(1).default(0.6),
    interval: z.string().default('15m'),
    start: z.string().datetime().default('2024-01-01T00:00:00Z'),
    bars: z.number().int().positive().optional(),
    days: z.number().positive().optional(),
    seed: z.number().int().nonnegative().default(42),
  })
  .strict()
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    for (const [i, s] of o.symbols.entries()) {
      if (seen.has(s.symbol)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['symbols', i, 'symbol'], message: `symbol ${s.symbol} appears twice` });
      seen.add(s.symbol);
    }
  });
export type SyntheticSymbolsOptions = z.input<typeof SyntheticSymbolsOptions>;

/** The embedded three-symbol option's symbols: correlated, with different volatilities. */
export const THREE_SYMBOLS = [
  { symbol: 'SYN-BTC', annualVol: 0.55, startPrice: 30_000 },
  { symbol: 'SYN-ETH', annualVol: 0.75, startPrice: 2_000 },
  { symbol: 'SYN-SOL', annualVol: 1.1, startPrice: 100 },
];

/** One frame, symbol by symbol (each in time order), seeded: the same options give the same bars. */
export function generateSyntheticSymbols(options: SyntheticSymbolsOptions, onProgress?: (done: number, total: number) => void): pl.DataFrame {
  const o = SyntheticSymbolsOptions.parse(options);
  const n = syntheticBars(o);
  const market = new Random(o.seed);
  const shocks = Float64Array.from({ length: n }, () => market.studentT(4));
  const frames = o.symbols.map((s, k) => {
    const series = generateSyntheticSeries(
      { symbol: s.symbol, annualVol: s.annualVol, startPrice: s.startPrice, interval: o.interval, start: o.start, bars: n, seed: o.seed + 1 + k },
      onProgress && ((done) => onProgress(k * n + done, o.symbols.length * n)),
      { shocks, weight: o.correlation },
    );
    return ohlcvFrame(series, s.symbol);
  });
  return pl.concat(frames);
}
