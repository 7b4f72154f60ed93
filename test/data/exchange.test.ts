import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchExchangeCandles } from '../../lib/data/exchange';
import { validateOhlcv } from '../../lib/data/validate';

/**
 * A local Coinbase-style candles server: pages of at most 300 candles, newest first; the
 * first request of each page answers 429 with Retry-After; the bars of one hour are missing.
 */
const START = Date.parse('2024-05-01T00:00:00Z');
const HOLE = [START + 100 * 60_000, START + 160 * 60_000];
let server: Server;
let base: string;
const requests: URL[] = [];
const refusedOnce = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(url);
    const match = /^\/products\/([^/]+)\/candles$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end('not found');
    if (!refusedOnce.has(url.search)) {
      refusedOnce.add(url.search);
      return void res.writeHead(429, { 'retry-after': '0.01' }).end('slow down');
    }
    const granularity = Number(url.searchParams.get('granularity')) * 1000;
    const from = Date.parse(url.searchParams.get('start')!);
    const to = Date.parse(url.searchParams.get('end')!);
    if ((to - from) / granularity > 300) return void res.writeHead(400).end('too many candles');
    const rows: number[][] = [];
    for (let t = from; t < to; t += granularity) {
      if (t >= HOLE[0] && t < HOLE[1]) continue;
      const p = 100 + Math.sin(t / 3e6);
      rows.push([t / 1000, p - 0.5, p + 0.5, p, p + 0.1, 10]);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows.reverse()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('fetchExchangeCandles', () => {
  it('pages by time window, retries rate limits, sorts, and reports the gap', async () => {
    const end = START + 1000 * 60_000;
    const result = await fetchExchangeCandles({ baseUrl: base, symbol: 'BTC-USD', interval: '1m', start: new Date(START).toISOString(), end: new Date(end).toISOString(), backoffMs: 5 });
    expect(result.frame.height).toBe(1000 - 60);
    expect(result.retries).toBe(4); // 4 pages, each refused once
    expect(result.requests).toBe(8);
    expect(result.gaps).toEqual([{ from: new Date(HOLE[0]).toISOString(), to: new Date(HOLE[1]).toISOString(), missingBars: 60 }]);
    const report = validateOhlcv(result.frame);
    expect(report.ok).toBe(true);
    expect(report.gaps.missingBars).toBe(60);
    expect(requests.every((u) => u.pathname === '/products/BTC-USD/candles')).toBe(true);
  });

  it('gives up after the retries with a message that says so, and fails fast on 404', async () => {
    const opts = { baseUrl: base, symbol: 'ETH-USD', interval: '1m', start: '2024-06-01T00:00:00Z', end: '2024-06-01T01:00:00Z', backoffMs: 1, retries: 0 };
    await expect(fetchExchangeCandles(opts)).rejects.toThrow(/failed 1 time\(s\), last: HTTP 429/);
    await expect(fetchExchangeCandles({ ...opts, baseUrl: `${base}/nothing-here` })).rejects.toThrow(/answered HTTP 404/);
  });
});
