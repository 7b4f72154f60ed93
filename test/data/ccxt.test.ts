import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCcxtCandles } from '../../lib/data/ccxtProvider';
import { loadDataset } from '../../lib/data/dataset';
import { validateOhlcv } from '../../lib/data/validate';
import { gatebookAsync as gatebook, tempDir } from '../helpers/cli';
import { quotedClose, startCoinbaseServer, type CoinbaseServer } from '../helpers/coinbaseServer';

/**
 * Several symbols from a real exchange's API through ccxt, against a local server that
 * speaks Coinbase Advanced Trade's candle endpoints (no network here): paging by 300
 * candles, a rate-limited answer retried, bars the exchange does not have reported per
 * symbol, and the authenticated endpoints — the server checks each request's ES256 JWT
 * (the API key's EC key, two minutes, this request's uri) as Coinbase does.
 */
const START = '2024-01-01T00:00:00Z';
const END = '2024-01-01T12:00:00Z'; // 720 one-minute bars: three pages of 300 per symbol
const GAP = Date.UTC(2024, 0, 1, 1, 0); // ETH-USD's 01:00 and 01:01 bars are missing
const name = 'organizations/7e1c/apiKeys/4f2a';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const secret = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
let server: CoinbaseServer;
let dir: string;

beforeAll(async () => {
  server = await startCoinbaseServer({
    products: ['BTC-USD', 'ETH-USD', 'SOL-USD'],
    missing: { 'ETH-USD': [GAP, GAP + 60_000] },
    throttleOnce: ['SOL-USD'],
    apiKey: { name, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string },
  });
  dir = tempDir('gatebook-ccxt-');
});
afterAll(() => server?.close());

describe('data fetch through ccxt', { timeout: 120_000 }, () => {
  it('pages, retries a rate limit, and reports each symbol\'s missing bars; the closes are the exchange\'s', async () => {
    const r = await fetchCcxtCandles({ exchange: 'coinbase', symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD'], interval: '1m', start: START, end: END, baseUrl: server.url, backoffMs: 10 });
    expect(r.symbols.map((s) => [s.symbol, s.bars, s.missingBars])).toEqual([['BTC/USD', 720, 0], ['ETH/USD', 718, 2], ['SOL/USD', 720, 0]]);
    expect(r.symbols[1].gaps).toEqual([{ from: new Date(GAP).toISOString(), to: new Date(GAP + 120_000).toISOString(), missingBars: 2 }]);
    expect(r.retries).toBe(1);
    const candleCalls = server.requests.filter((q) => q.path.includes('/candles'));
    expect(candleCalls.filter((q) => q.status === 429)).toHaveLength(1);
    expect(candleCalls.filter((q) => q.status === 200)).toHaveLength(9); // 3 symbols × 3 pages of at most 300
    const eth = r.frame.filter(pl.col('symbol').eq(pl.lit('ETH/USD')));
    const t = eth.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    const close = eth.getColumn('close').toArray() as number[];
    expect(t.every((v, i) => i === 0 || v > t[i - 1])).toBe(true); // ascending, though the exchange answers newest first
    for (const i of [0, 59, 300, 717]) expect(close[i]).toBeCloseTo(quotedClose('ETH-USD', t[i] / 1000), 9);
    const report = validateOhlcv(r.frame);
    expect(report.errors).toBe(0);
    expect(report.gaps.missingBars).toBe(2);
  });

  it('the authenticated endpoint: keys from a .env file, a JWT per request accepted by the server, never printed', async () => {
    const env = join(dir, 'keys.env');
    writeFileSync(env, `GATEBOOK_EXCHANGE_API_KEY="${name}"\nGATEBOOK_EXCHANGE_API_SECRET="${secret.trim().replace(/\n/g, '\\n')}"\n`);
    const before = server.tokens.length;
    const out = join(dir, 'three.parquet');
    const r = await gatebook(['data', 'fetch', '--exchange', 'coinbase', '--symbols', 'BTC/USD,ETH/USD,SOL/USD', '--interval', '1m', '--start', START, '--end', '2024-01-01T02:00:00Z',
      '--base-url', server.url, '--private', '--env-file', env, '--out', out], dir, { ...process.env, GATEBOOK_EXCHANGE_API_KEY: '', GATEBOOK_EXCHANGE_API_SECRET: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/using the API key from .*keys\.env/);
    expect(r.stdout).toMatch(/wrote .*three\.parquet: 358 bars of 3 symbol\(s\)/);
    expect(r.stdout).toMatch(/ETH\/USD: 118 bars, 1 gap\(s\), 2 bar\(s\) missing/);
    const tokens = server.tokens.slice(before);
    expect(tokens.length).toBeGreaterThanOrEqual(4); // the fee tier, then a page per symbol, each with its own token
    for (const c of tokens) expect([c.sub, (c.exp as number) - (c.nbf as number)]).toEqual([name, 120]);
    expect(server.requests.filter((q) => q.path.startsWith('/api/v3/brokerage/products/') && q.status === 200).length).toBe(3);
    const manifest = readFileSync(out.replace(/\.parquet$/, '.manifest.json'), 'utf8');
    for (const text of [r.stdout, r.stderr, manifest]) {
      expect(text).not.toContain(name);
      for (const line of secret.split('\n').filter((l) => l.length > 16)) expect(text).not.toContain(line);
    }
    expect(JSON.parse(manifest).source).toMatchObject({ provider: 'ccxt', exchange: 'coinbase', symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD'], authenticated: true, gaps: { 'ETH/USD': 2 } });
    expect(loadDataset(out).manifest?.symbols).toEqual(['BTC/USD', 'ETH/USD', 'SOL/USD']);
  });

  it('refused credentials, a missing secret, an unknown symbol or exchange: a clear error, exit 2, nothing written, no key shown', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const out = join(dir, 'refused.parquet');
    const base = ['data', 'fetch', '--exchange', 'coinbase', '--interval', '1m', '--start', START, '--end', '2024-01-01T01:00:00Z', '--base-url', server.url, '--out', out];
    const refused = await gatebook([...base, '--symbols', 'BTC/USD', '--private'], dir, { ...process.env, GATEBOOK_EXCHANGE_API_KEY: name, GATEBOOK_EXCHANGE_API_SECRET: other });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/coinbase: the markets: the exchange refused the credentials from the environment: .*signature does not verify/);
    for (const line of other.split('\n').filter((l) => l.length > 16)) expect(refused.stderr + refused.stdout).not.toContain(line);
    const half = await gatebook([...base, '--symbols', 'BTC/USD', '--private'], dir, { ...process.env, GATEBOOK_EXCHANGE_API_KEY: name, GATEBOOK_EXCHANGE_API_SECRET: '' });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/GATEBOOK_EXCHANGE_API_SECRET is not set/);
    const unknown = await gatebook([...base, '--symbols', 'BTC/USD,DOGE/EUR'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--symbols: DOGE\/EUR not on coinbase/);
    const exchange = await gatebook([...base.map((a) => (a === 'coinbase' ? 'coinbasse' : a)), '--symbols', 'BTC/USD'], dir);
    expect(exchange.code).toBe(2);
    expect(exchange.stderr).toMatch(/--exchange coinbasse: not an exchange ccxt knows/);
    expect(existsSync(out)).toBe(false);
  });
});
