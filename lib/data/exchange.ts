import type pl from 'nodejs-polars';
import { GatebookError, InputError } from '../util/errors';
import { parseInterval } from './interval';
import { ohlcvFrame } from './ohlcv';

export interface ExchangeOptions {
  /** e.g. https://api.exchange.coinbase.com (no trailing slash needed) */
  baseUrl: string;
  symbol: string;
  interval: string;
  /** ISO start (inclusive) and end (exclusive) */
  start: string;
  end: string;
  /** Candles per request: the exchange's page limit (Coinbase: 300). */
  pageSize?: number;
  /** Retries of one page after HTTP 429 / 5xx / a network error. */
  retries?: number;
  /** First backoff; doubled each retry unless the server sends Retry-After. */
  backoffMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CandleGap {
  from: string;
  to: string;
  missingBars: number;
}

export interface ExchangeResult {
  frame: pl.DataFrame;
  requests: number;
  retries: number;
  gaps: CandleGap[];
}

/**
 * Candles from a Coinbase-style REST endpoint:
 * `GET {base}/products/{symbol}/candles?granularity=<s>&start=<iso>&end=<iso>` answering
 * `[[time_s, low, high, open, close, volume], …]` in any order. Pages by time window,
 * retries rate limits with backoff, and reports the bars the exchange did not return.
 */
export async function fetchExchangeCandles(options: ExchangeOptions): Promise<ExchangeResult> {
  const intervalMs = parseInterval(options.interval);
  const start = Date.parse(options.start);
  const end = Date.parse(options.end);
  if (!(end > start)) throw new InputError(`exchange: end ${options.end} must be after start ${options.start}`);
  const pageMs = (options.pageSize ?? 300) * intervalMs;
  const bars = new Map<number, number[]>();
  const stats = { requests: 0, retries: 0 };
  const pages = Math.ceil((end - start) / pageMs);
  for (let page = 0; page < pages; page++) {
    const from = start + page * pageMs;
    const to = Math.min(end, from + pageMs);
    for (const row of await fetchPage(options, intervalMs, from, to, stats)) {
      const t = row[0] * 1000;
      if (t >= start && t < end) bars.set(t, row);
    }
    options.onProgress?.(page + 1, pages);
  }
  const times = [...bars.keys()].sort((a, b) => a - b);
  const column = (index: number) => Float64Array.from(times, (t) => bars.get(t)![index]);
  const frame = ohlcvFrame(
    { timestamp: Float64Array.from(times), low: column(1), high: column(2), open: column(3), close: column(4), volume: column(5) },
    options.symbol,
  );
  return { frame, ...stats, gaps: findGaps(times, start, end, intervalMs) };
}

async function fetchPage(
  options: ExchangeOptions,
  intervalMs: number,
  from: number,
  to: number,
  stats: { requests: number; retries: number },
): Promise<number[][]> {
  const url = new URL(`${options.baseUrl.replace(/\/$/, '')}/products/${encodeURIComponent(options.symbol)}/candles`);
  url.searchParams.set('granularity', String(intervalMs / 1000));
  url.searchParams.set('start', new Date(from).toISOString());
  url.searchParams.set('end', new Date(to).toISOString());
  const retries = options.retries ?? 5;
  let delay = options.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    stats.requests++;
    let problem: string;
    try {
      const response = await fetch(url);
      if (response.ok) return parseCandles(await response.json(), url);
      problem = `HTTP ${response.status}`;
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable) throw new GatebookError(`exchange: ${url} answered ${problem}: ${(await response.text()).slice(0, 200)}`);
      const after = Number(response.headers.get('retry-after'));
      if (Number.isFinite(after) && after > 0) delay = after * 1000;
    } catch (error) {
      if (error instanceof GatebookError) throw error;
      problem = (error as Error).message;
    }
    if (attempt >= retries) throw new GatebookError(`exchange: ${url} failed ${attempt + 1} time(s), last: ${problem}; try later or raise --retries`);
    stats.retries++;
    await new Promise((r) => setTimeout(r, delay));
    delay *= 2;
  }
}

function parseCandles(body: unknown, url: URL): number[][] {
  const valid = Array.isArray(body) && body.every((r) => Array.isArray(r) && r.length >= 6 && r.slice(0, 6).every((v) => typeof v === 'number'));
  if (!valid) throw new GatebookError(`exchange: ${url} did not answer a list of [time, low, high, open, close, volume] rows`);
  return body as number[][];
}

/** The bars missing between start and end (times sorted, ms): each run of missing bars as one gap. */
export function findGaps(times: number[], start: number, end: number, intervalMs: number): CandleGap[] {
  const first = Math.ceil(start / intervalMs) * intervalMs;
  const gaps: CandleGap[] = [];
  let expected = first;
  for (const t of [...times, end]) {
    const missing = Math.round((t - expected) / intervalMs);
    if (missing >= 1) gaps.push({ from: new Date(expected).toISOString(), to: new Date(t).toISOString(), missingBars: missing });
    expected = t + intervalMs;
  }
  return gaps;
}
