import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import pl from 'nodejs-polars';
import { GatebookError, InputError } from '../util/errors';
import { findGaps, type CandleGap } from './exchange';
import { parseInterval } from './interval';
import { ohlcvFrame } from './ohlcv';

/**
 * Candles of several symbols from any exchange ccxt speaks (https://github.com/ccxt/ccxt:
 * the library JS/TS traders use for 100+ exchanges), into one multi-symbol frame. Pages by
 * the exchange's candle limit, lets ccxt pace requests to the exchange's rate limit, retries
 * a rate-limit or network error with backoff, and reports each symbol's missing bars.
 * Authenticated endpoints (e.g. Coinbase Advanced Trade: a JWT signed ES256 with the API
 * key's EC key, two minutes of validity, made per request by ccxt) take their keys from the
 * environment or a .env file; a key never appears in a message or a manifest.
 */
export interface CcxtOptions {
  /** a ccxt exchange id: coinbase, kraken, binance, … */
  exchange: string;
  /** ccxt's unified symbols: BTC/USD, ETH/USD, … */
  symbols: string[];
  interval: string;
  /** ISO start (inclusive) and end (exclusive) */
  start: string;
  end: string;
  /** another root for the exchange's REST API (a proxy, a local server in tests) */
  baseUrl?: string;
  /** candles per request (default: the exchange's limit, ccxt's 300 for Coinbase) */
  pageSize?: number;
  retries?: number;
  backoffMs?: number;
  /** the exchange's authenticated candle endpoint, with credentials (see `exchangeCredentials`) */
  credentials?: ExchangeCredentials;
  onProgress?: (symbol: string, done: number, total: number) => void;
}

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  /** where they came from (for messages; never the values) */
  from: string;
}

export interface CcxtResult {
  frame: pl.DataFrame;
  requests: number;
  retries: number;
  /** per symbol: bars fetched and the bars the exchange did not return */
  symbols: Array<{ symbol: string; bars: number; gaps: CandleGap[]; missingBars: number }>;
}

/** The environment variables a key is read from. */
export const CREDENTIAL_VARIABLES = { apiKey: 'GATEBOOK_EXCHANGE_API_KEY', secret: 'GATEBOOK_EXCHANGE_API_SECRET' } as const;

/**
 * The exchange's API key and secret: from the environment, else from a .env file (`envFile`,
 * default `.env` when it exists). Both or neither: one without the other is an error naming
 * the missing variable. A PEM secret may carry its newlines as `\n`.
 */
export function exchangeCredentials(envFile?: string, env: NodeJS.ProcessEnv = process.env): ExchangeCredentials | null {
  const file = envFile ?? (existsSync('.env') ? '.env' : undefined);
  if (envFile && !existsSync(envFile)) throw new InputError(`--env-file ${envFile}: no such file`);
  const fromFile = file ? parseEnv(readFileSync(file, 'utf8')) : {};
  const pick = (name: string) => env[name] || fromFile[name] || undefined; // an empty variable is unset
  const apiKey = pick(CREDENTIAL_VARIABLES.apiKey);
  const secret = pick(CREDENTIAL_VARIABLES.secret);
  if (!apiKey && !secret) return null;
  const missing = !apiKey ? CREDENTIAL_VARIABLES.apiKey : !secret ? CREDENTIAL_VARIABLES.secret : null;
  if (missing) throw new InputError(`exchange credentials: ${missing} is not set (set both ${CREDENTIAL_VARIABLES.apiKey} and ${CREDENTIAL_VARIABLES.secret}, in the environment or ${file ?? 'a .env file'})`);
  const inEnv = Boolean(env[CREDENTIAL_VARIABLES.apiKey]);
  return { apiKey: apiKey!, secret: secret!.replace(/\\n/g, '\n'), from: inEnv ? 'the environment' : file! };
}

export async function fetchCcxtCandles(o: CcxtOptions): Promise<CcxtResult> {
  const start = Date.parse(o.start);
  const end = Date.parse(o.end);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new InputError(`--start ${o.start} / --end ${o.end}: ISO dates, e.g. 2024-01-01T00:00:00Z`);
  if (!(end > start)) throw new InputError(`exchange: end ${o.end} must be after start ${o.start}`);
  if (o.symbols.length === 0) throw new InputError('--symbols: name at least one, e.g. BTC/USD,ETH/USD');
  const client = await CcxtClient.open(o);
  client.requireSymbols(o.symbols);
  const frames: pl.DataFrame[] = [];
  const symbols: CcxtResult['symbols'] = [];
  for (const symbol of o.symbols) {
    const got = await client.candles(symbol, start, end, (done, total) => o.onProgress?.(symbol, done, total));
    frames.push(got.frame);
    symbols.push({ symbol, bars: got.frame.height, gaps: got.gaps, missingBars: got.gaps.reduce((n, g) => n + g.missingBars, 0) });
  }
  return { frame: pl.concat(frames), ...client.stats, symbols };
}

/**
 * One exchange through ccxt, its markets loaded once: candles of a symbol between two
 * times (paged, retried). A symbol is ccxt's unified one (BTC/USD) or the exchange's own id
 * (BTC-USD); the frame's symbol column keeps the name asked for.
 */
export class CcxtClient {
  readonly stats = { requests: 0, retries: 0 };

  private constructor(
    private readonly exchange: CcxtExchange,
    private readonly o: Pick<CcxtOptions, 'exchange' | 'interval' | 'pageSize' | 'retries' | 'backoffMs' | 'credentials'>,
    private readonly timeframe: string,
    private readonly ccxt: typeof import('ccxt'),
  ) {}

  static async open(o: Pick<CcxtOptions, 'exchange' | 'interval' | 'baseUrl' | 'pageSize' | 'retries' | 'backoffMs' | 'credentials'>): Promise<CcxtClient> {
    const ccxt = await import('ccxt');
    const Exchange = (ccxt as unknown as Record<string, new (config: Record<string, unknown>) => CcxtExchange>)[o.exchange];
    const ids = ccxt.exchanges as unknown; // a list of ids in ccxt's CommonJS build, an object keyed by id in its ES module
    const known = Array.isArray(ids) ? (ids as string[]) : Object.keys(ids as object);
    if (typeof Exchange !== 'function' || !known.includes(o.exchange)) {
      throw new InputError(`--exchange ${o.exchange}: not an exchange ccxt knows (e.g. ${['coinbase', 'kraken', 'binance', 'bitstamp'].join(', ')}; all: ccxt.exchanges)`);
    }
    const intervalMs = parseInterval(o.interval);
    const exchange = new Exchange({
      enableRateLimit: true, // ccxt paces requests to the exchange's published rate limit
      ...(o.credentials ? { apiKey: o.credentials.apiKey, secret: o.credentials.secret } : {}),
    });
    if (o.baseUrl) rebase(exchange.urls, o.baseUrl);
    const timeframe = Object.keys(exchange.timeframes ?? {}).find((tf) => parseInterval(tf) === intervalMs);
    if (!timeframe) throw new InputError(`--interval ${o.interval}: ${o.exchange} has candles of ${Object.keys(exchange.timeframes ?? {}).join(', ')}`);
    const client = new CcxtClient(exchange, o, timeframe, ccxt);
    await client.call('the markets', () => exchange.loadMarkets());
    return client;
  }

  /** Refuse symbols the exchange does not list, naming them. */
  requireSymbols(symbols: string[]): void {
    const unknown = symbols.filter((s) => !this.market(s));
    if (unknown.length) throw new InputError(`--symbols: ${unknown.join(', ')} not on ${this.o.exchange} (ccxt's unified symbols, e.g. ${Object.keys(this.exchange.markets).slice(0, 3).join(', ')})`);
  }

  /** Bars of `symbol` in [start, end) (ms), ascending, and the bars the exchange did not return. */
  async candles(symbol: string, start: number, end: number, onPage?: (done: number, total: number) => void): Promise<{ frame: pl.DataFrame; gaps: CandleGap[] }> {
    const unified = this.market(symbol);
    if (!unified) this.requireSymbols([symbol]);
    const intervalMs = parseInterval(this.o.interval);
    const limit = this.o.pageSize ?? 300;
    const bars = new Map<number, number[]>();
    const pages = Math.ceil((end - start) / (limit * intervalMs));
    for (let page = 0; page < pages; page++) {
      const since = start + page * limit * intervalMs;
      const until = Math.min(end, since + limit * intervalMs);
      const params = { until, ...(this.o.credentials ? { usePrivate: true } : {}) };
      const rows = await this.call(`${symbol} candles from ${new Date(since).toISOString()}`, () => this.exchange.fetchOHLCV(unified!, this.timeframe, since, limit, params));
      for (const row of rows) if (row[0] >= start && row[0] < end && row.slice(0, 6).every((v) => typeof v === 'number' && Number.isFinite(v))) bars.set(row[0], row);
      onPage?.(page + 1, pages);
    }
    const times = [...bars.keys()].sort((a, b) => a - b);
    const column = (k: number) => Float64Array.from(times, (t) => bars.get(t)![k]);
    const frame = ohlcvFrame({ timestamp: Float64Array.from(times), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) }, symbol);
    return { frame, gaps: findGaps(times, start, end, intervalMs) };
  }

  /** The unified symbol of a unified symbol or an exchange id, if listed. */
  private market(symbol: string): string | undefined {
    if (this.exchange.markets[symbol]) return symbol;
    const byId = this.exchange.markets_by_id?.[symbol];
    const first = Array.isArray(byId) ? byId[0] : byId;
    return (first as { symbol?: string } | undefined)?.symbol;
  }

  private call<T>(what: string, f: () => Promise<T>): Promise<T> {
    const secrets = this.o.credentials ? [this.o.credentials.apiKey, this.o.credentials.secret] : [];
    return withRetries(what, f, this.stats, this.o, this.ccxt, secrets);
  }
}

/** What gatebook uses of a ccxt exchange. */
interface CcxtExchange {
  urls: Record<string, unknown>;
  timeframes?: Record<string, string>;
  markets: Record<string, unknown>;
  markets_by_id?: Record<string, unknown>;
  loadMarkets(): Promise<unknown>;
  fetchOHLCV(symbol: string, timeframe: string, since: number, limit: number, params: Record<string, unknown>): Promise<number[][]>;
}

/** Point every REST root of `urls.api` at `baseUrl` (a local server speaking the exchange's API). */
function rebase(urls: Record<string, unknown>, baseUrl: string): void {
  const root = baseUrl.replace(/\/+$/, '');
  const walk = (node: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && /^https?:\/\//.test(v)) node[k] = root;
      else if (v && typeof v === 'object') walk(v as Record<string, unknown>);
    }
  };
  if (urls.api && typeof urls.api === 'object') walk(urls.api as Record<string, unknown>);
  else urls.api = root;
}

/** One call with retries on a rate limit or a network error (backoff doubling), counted; other errors say what failed, keys redacted. */
async function withRetries<T>(what: string, f: () => Promise<T>, stats: { requests: number; retries: number }, o: Pick<CcxtOptions, 'exchange' | 'retries' | 'backoffMs' | 'credentials'>, ccxt: typeof import('ccxt'), secrets: string[]): Promise<T> {
  const retries = o.retries ?? 5;
  let delay = o.backoffMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    stats.requests++;
    try {
      return await f();
    } catch (error) {
      const message = redact((error as Error).message ?? String(error), secrets);
      // ccxt maps an exchange's rate-limit answer to RateLimitExceeded only where it knows the code (Coinbase: lowercase
      // rate_limit_exceeded / resource_exhausted); an unmapped one arrives as a plain ExchangeError naming it
      const limited = /rate.?limit|too many requests|resource.?exhausted/i.test(message);
      const retryable = limited || error instanceof ccxt.RateLimitExceeded || error instanceof ccxt.DDoSProtection || error instanceof ccxt.RequestTimeout || error instanceof ccxt.NetworkError;
      // likewise a refusal: ccxt knows Coinbase's lowercase codes, the API answers UNAUTHENTICATED / PERMISSION_DENIED
      if (error instanceof ccxt.AuthenticationError || error instanceof ccxt.PermissionDenied || /unauthenticated|unauthorized|permission.?denied/i.test(message)) {
        throw new InputError(`${o.exchange}: ${what}: the exchange refused the credentials${o.credentials ? ` from ${o.credentials.from}` : ''}: ${message}`);
      }
      if (!retryable) throw new GatebookError(`${o.exchange}: ${what}: ${message}`);
      if (attempt >= retries) throw new GatebookError(`${o.exchange}: ${what} failed ${attempt + 1} time(s), last: ${message}; try later or raise --retries`);
      stats.retries++;
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}

function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) {
    if (s.length < 8) continue; // too short to tell from words
    out = out.split(s).join('[redacted]');
    for (const line of s.split('\n').filter((l) => l.length > 16)) out = out.split(line).join('[redacted]');
  }
  return out.replace(/Bearer [A-Za-z0-9._-]+/g, 'Bearer [redacted]');
}
