import type { Command } from 'commander';
import { basename } from 'node:path';
import { InputError, CheckFailedError } from '../util/errors';
import { parseMapping } from '../data/columns';
import { loadDataset, saveDataset, describeDataset } from '../data/dataset';
import { fixOhlcv } from '../data/fix';
import { generateSynthetic } from '../data/synthetic';
import { CREDENTIAL_VARIABLES, exchangeCredentials, fetchCcxtCandles } from '../data/ccxtProvider';
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
    .description('download candles: from any exchange ccxt speaks (--exchange, several --symbols into one dataset), or from a Coinbase-style REST endpoint (--base-url, GET /products/<symbol>/candles)')
    .option('--exchange <id>', 'a ccxt exchange id (coinbase, kraken, binance, …)')
    .option('--symbols <list>', 'with --exchange: unified symbols, comma-separated (BTC/USD,ETH/USD,SOL/USD)')
    .option('--base-url <url>', 'the REST root: the Coinbase-style endpoint; with --exchange, another root for its API (a proxy or a local server)')
    .option('--symbol <symbol>', 'without --exchange: the product id, e.g. BTC-USD')
    .requiredOption('--start <iso>', 'first bar (inclusive)')
    .requiredOption('--end <iso>', 'end (exclusive)')
    .option('--interval <interval>', 'bar interval', '15m')
    .option('--retries <n>', 'retries per request on a rate limit, 5xx or network error', intOption('--retries'), 5)
    .option('--page-size <n>', 'candles per request (default: the exchange\'s limit)', intOption('--page-size'))
    .option('--private', `with --exchange: the authenticated candle endpoint, keys from ${CREDENTIAL_VARIABLES.apiKey} / ${CREDENTIAL_VARIABLES.secret} (environment or .env)`)
    .option('--env-file <file>', 'a .env file with the keys (default: ./.env when present)')
    .requiredOption('--out <parquet>', 'output parquet')
    .action(action(async (flags: { exchange?: string; symbols?: string; baseUrl?: string; symbol?: string; start: string; end: string; interval: string; retries: number; pageSize?: number; private?: boolean; envFile?: string; out: string }) => {
      if (flags.exchange) return fetchFromExchange({ ...flags, exchange: flags.exchange });
      if (!flags.baseUrl || !flags.symbol) throw new InputError('data fetch: give --exchange <id> --symbols A/B,C/D (ccxt), or --base-url <url> --symbol <id> (a Coinbase-style endpoint)');
      const bar = progress('fetch');
      const result = await fetchExchangeCandles({ ...flags, baseUrl: flags.baseUrl, symbol: flags.symbol, onProgress: bar.update });
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

/** `data fetch --exchange`: several symbols through ccxt into one dataset, with its manifest; each symbol's bars and gaps said. */
async function fetchFromExchange(flags: { exchange: string; symbols?: string; baseUrl?: string; start: string; end: string; interval: string; retries: number; pageSize?: number; private?: boolean; envFile?: string; out: string }): Promise<number> {
  const symbols = (flags.symbols ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (!symbols.length) throw new InputError('--exchange needs --symbols, e.g. --symbols BTC/USD,ETH/USD');
  const credentials = flags.private ? exchangeCredentials(flags.envFile) : null;
  if (flags.private && !credentials) throw new InputError(`--private needs keys: set ${CREDENTIAL_VARIABLES.apiKey} and ${CREDENTIAL_VARIABLES.secret} in the environment or a .env file (--env-file)`);
  if (credentials) console.log(`using the API key from ${credentials.from}`);
  const bar = progress('fetch');
  let done = 0;
  const result = await fetchCcxtCandles({
    exchange: flags.exchange, symbols, interval: flags.interval, start: flags.start, end: flags.end, baseUrl: flags.baseUrl,
    retries: flags.retries, pageSize: flags.pageSize, credentials: credentials ?? undefined,
    onProgress: (_s, page, pages) => bar.update(++done, symbols.length * pages),
  });
  bar.stop();
  const manifest = saveDataset(result.frame, flags.out, {
    provider: 'ccxt', exchange: flags.exchange, symbols, interval: flags.interval, start: flags.start, end: flags.end, authenticated: Boolean(credentials),
    ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}), gaps: Object.fromEntries(result.symbols.map((x) => [x.symbol, x.missingBars])),
  });
  console.log(`wrote ${flags.out}: ${manifest.rows} bars of ${symbols.length} symbol(s) in ${result.requests} request(s) (${result.retries} retried); sha256 ${manifest.sha256}`);
  for (const x of result.symbols) {
    console.log(`  ${x.symbol}: ${x.bars} bars, ${x.gaps.length} gap(s), ${x.missingBars} bar(s) missing`);
    for (const gap of x.gaps.slice(0, 5)) console.log(`    gap ${gap.from} → ${gap.to}: ${gap.missingBars} bar(s)`);
  }
  return 0;
}
