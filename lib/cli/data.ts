import type { Command } from 'commander';
import { basename } from 'node:path';
import { InputError, CheckFailedError } from '../util/errors';
import { parseMapping } from '../data/columns';
import { loadDataset, saveDataset, describeDataset } from '../data/dataset';
import { fixOhlcv } from '../data/fix';
import { generateSynthetic } from '../data/synthetic';
import { fetchExchangeCandles } from '../data/exchange';
import { openOhlcv } from '../data/open';
import { validateOhlcv } from '../data/validate';
import { action, intOption, numberOption } from './action';
import { formatValidation } from './format';
import { progress } from './progress';

interface ImportFlags { out: string; map?: string; adjusted?: boolean; symbol?: string; fix?: string | boolean }

/** `gatebook data generate|import|fetch|validate|info` */
export function registerData(program: Command): void {
  const data = program.command('data').description('make, import, check and describe OHLCV datasets');

  data.command('generate')
    .description('generate seeded synthetic candles (regime-switching volatility, fat tails, seasonality, a weak edge)')
    .option('--symbol <symbol>', 'symbol name', 'SYN-USD')
    .option('--interval <interval>', 'bar interval: 1m, 5m, 15m, 1h, 4h, 1d …', '15m')
    .option('--days <days>', 'span in days', numberOption('--days'), 365)
    .option('--bars <bars>', 'number of bars (overrides --days)', intOption('--bars'))
    .option('--start <iso>', 'first bar (UTC, ISO-8601)', '2024-01-01T00:00:00Z')
    .option('--seed <seed>', 'random seed', intOption('--seed'), 42)
    .option('--out <parquet>', 'output file (default data/<symbol>-<interval>.parquet)')
    .action(action((flags: { symbol: string; interval: string; days: number; bars?: number; start: string; seed: number; out?: string }) => {
      const options = { symbol: flags.symbol, interval: flags.interval, days: flags.days, bars: flags.bars, start: flags.start, seed: flags.seed };
      const bar = progress('generate');
      const frame = generateSynthetic(options, bar.update);
      bar.stop();
      const out = flags.out ?? `data/${flags.symbol}-${flags.interval}.parquet`;
      const manifest = saveDataset(frame, out, { provider: 'synthetic', ...options });
      console.log(`wrote ${out}: ${manifest.rows} bars ${manifest.interval} ${manifest.span.start} → ${manifest.span.end}, sha256 ${manifest.sha256}`);
      return 0;
    }));

  data.command('import <file>')
    .description('import candles from CSV or parquet (columns detected by name; rejected when any row is bad)')
    .requiredOption('--out <parquet>', 'output parquet (a manifest is written beside it)')
    .option('--map <pairs>', 'explicit columns, e.g. timestamp=Date,close="Close Price"')
    .option('--adjusted', 'scale open/high/low/close by adjclose / close')
    .option('--symbol <symbol>', 'symbol when the file has none (default: the file name)')
    .option('--fix [what]', 'repair only this: sort, duplicates, or sort,duplicates (the default)')
    .action(action((file: string, flags: ImportFlags) => {
      const opened = openOhlcv(file, { mapping: flags.map ? parseMapping(flags.map) : undefined, adjusted: flags.adjusted, symbol: flags.symbol });
      const frame = applyFix(opened.frame, flags.fix);
      const report = validateOhlcv(frame, { source: file, place: opened.place, lineOf: flags.fix ? undefined : opened.lineOf });
      if (!report.ok) throw new InputError(`${formatValidation(report)}\nnothing written; fix the file, or use --fix sort,duplicates for order and repeats`);
      const manifest = saveDataset(frame, flags.out, { provider: 'file', file, format: basename(file) });
      console.log(`wrote ${flags.out}: ${manifest.rows} bars ${manifest.interval ?? ''} ${manifest.span.start} → ${manifest.span.end}, ${report.gaps.count} gap(s), sha256 ${manifest.sha256}`);
      return 0;
    }));

  data.command('fetch')
    .description('download candles from a Coinbase-style REST endpoint (GET /products/<symbol>/candles)')
    .requiredOption('--base-url <url>', 'exchange base URL')
    .requiredOption('--symbol <symbol>', 'product id, e.g. BTC-USD')
    .requiredOption('--start <iso>', 'first bar (inclusive)')
    .requiredOption('--end <iso>', 'end (exclusive)')
    .option('--interval <interval>', 'bar interval', '15m')
    .option('--retries <n>', 'retries per page on 429/5xx', intOption('--retries'), 5)
    .requiredOption('--out <parquet>', 'output parquet')
    .action(action(async (flags: { baseUrl: string; symbol: string; start: string; end: string; interval: string; retries: number; out: string }) => {
      const bar = progress('fetch');
      const result = await fetchExchangeCandles({ ...flags, onProgress: bar.update });
      bar.stop();
      const manifest = saveDataset(result.frame, flags.out, { provider: 'exchange', baseUrl: flags.baseUrl, symbol: flags.symbol, interval: flags.interval });
      const missing = result.gaps.reduce((s, g) => s + g.missingBars, 0);
      console.log(`wrote ${flags.out}: ${manifest.rows} bars in ${result.requests} request(s) (${result.retries} retried); ${result.gaps.length} gap(s), ${missing} bar(s) missing`);
      for (const gap of result.gaps.slice(0, 10)) console.log(`  gap ${gap.from} → ${gap.to}: ${gap.missingBars} bar(s)`);
      return 0;
    }));

  data.command('validate <file>')
    .description('check order, duplicates, gaps, NaN/Inf, OHLC consistency, prices and volumes; exit 1 on any error')
    .option('--fix [what]', 'repair only this: sort, duplicates, or sort,duplicates (the default); needs --out')
    .option('--out <parquet>', 'where --fix writes the repaired data')
    .option('--json', 'print the full report as JSON')
    .action(action((file: string, flags: { fix?: string | boolean; out?: string; json?: boolean }) => {
      if (flags.fix && !flags.out) throw new InputError('--fix writes a repaired copy: give --out <parquet> (the input is never changed)');
      const opened = openOhlcv(file);
      const frame = applyFix(opened.frame, flags.fix);
      const report = validateOhlcv(frame, { source: file, place: opened.place, lineOf: flags.fix ? undefined : opened.lineOf });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatValidation(report));
      if (flags.fix && flags.out) {
        if (!report.ok) throw new CheckFailedError(`still invalid after --fix: nothing written to ${flags.out}`);
        saveDataset(frame, flags.out, { provider: 'file', file, fixed: String(flags.fix) });
        console.log(`wrote ${flags.out}`);
      }
      return report.ok ? 0 : 1;
    }));

  data.command('info <parquet>')
    .description('rows, span, interval, symbols, sha256 and source of a dataset')
    .action(action((file: string) => {
      const { frame, manifest } = loadDataset(file);
      const info = manifest ?? describeDataset(frame, file, { note: 'no manifest' });
      console.log(JSON.stringify({ ...info, columns: frame.columns }, null, 2));
      return 0;
    }));
}

/** Apply --fix: bare flag means both repairs; otherwise the named ones. */
function applyFix(frame: import('nodejs-polars').DataFrame, fix: string | boolean | undefined) {
  if (!fix) return frame;
  const what = fix === true ? ['sort', 'duplicates'] : fix.split(',').map((s) => s.trim());
  const unknown = what.filter((w) => w !== 'sort' && w !== 'duplicates');
  if (unknown.length) throw new InputError(`invalid --fix: ${unknown.join(', ')} (expected sort, duplicates)`);
  const result = fixOhlcv(frame, { sort: what.includes('sort'), dropDuplicates: what.includes('duplicates') });
  for (const line of result.actions.length ? result.actions : ['nothing to fix']) console.log(`fix: ${line}`);
  return result.frame;
}
