import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the part of Coinbase Advanced Trade's REST API a candle
 * download uses (api.coinbase.com/api/v3/brokerage): the public product list and candles,
 * and their authenticated twins, which demand a JWT as Coinbase does — ES256 over the API
 * key's EC P-256 key, `kid` and `sub` the key's name, `iss` coinbase-cloud, two minutes from
 * `nbf` to `exp`, and `uri` the method, host and path of this very request. Candles are
 * deterministic in time (a price path from the minute), answered newest first like
 * Coinbase, at most 300 a request; bars can be held back per product (gaps), and the first
 * candle request of a product can be answered 429 (rate limited) once.
 */
export interface CoinbaseServerOptions {
  products: string[];
  /** per product id: bar times (ms) the exchange does not have */
  missing?: Record<string, number[]>;
  /** answer the first candle request of these products with 429 */
  throttleOnce?: string[];
  /** the API key's name and the PEM of its public key: the private endpoints then check JWTs */
  apiKey?: { name: string; publicKeyPem: string };
}

export interface CoinbaseServer {
  url: string;
  requests: Array<{ method: string; path: string; authorization: string | null; status: number }>;
  /** the claims of every JWT accepted */
  tokens: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const GRANULARITY: Record<string, number> = { ONE_MINUTE: 60, FIVE_MINUTE: 300, FIFTEEN_MINUTE: 900, THIRTY_MINUTE: 1800, ONE_HOUR: 3600, TWO_HOUR: 7200, SIX_HOUR: 21600, ONE_DAY: 86400 };

/** The close the server quotes for a product at a bar (seconds): a smooth path per product. */
export function quotedClose(product: string, seconds: number): number {
  const base = 100 + [...product].reduce((s, c) => s + c.charCodeAt(0), 0);
  return base * (1 + 0.01 * Math.sin(seconds / 3600) + 0.002 * Math.cos(seconds / 420));
}

export async function startCoinbaseServer(o: CoinbaseServerOptions): Promise<CoinbaseServer> {
  const requests: CoinbaseServer['requests'] = [];
  const tokens: CoinbaseServer['tokens'] = [];
  const throttled = new Set<string>();
  const publicKey = o.apiKey ? createPublicKey(o.apiKey.publicKeyPem) : null;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization ?? null, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    let path = url.pathname;
    const isPrivate = /^\/api\/v3\/brokerage\/(products|transaction_summary)/.test(path);
    if (isPrivate) {
      const problem = publicKey ? jwtProblem(req, publicKey, o.apiKey!.name, path, tokens) : 'no API key is registered on this server';
      if (problem) return answer(401, { error: 'UNAUTHENTICATED', error_details: problem, message: problem });
      if (path === '/api/v3/brokerage/transaction_summary') return answer(200, { total_volume: 0, total_fees: 0, fee_tier: { pricing_tier: 'Advanced 1', taker_fee_rate: '0.008', maker_fee_rate: '0.006' } });
      path = path.replace('/api/v3/brokerage/products', '/api/v3/brokerage/market/products');
    }
    if (path === '/api/v3/brokerage/market/products') {
      const products = url.searchParams.get('product_type') === 'FUTURE' ? [] : o.products.map(product);
      return answer(200, { products, num_products: products.length });
    }
    const candles = /^\/api\/v3\/brokerage\/market\/products\/([^/]+)\/candles$/.exec(path);
    if (candles) {
      const id = decodeURIComponent(candles[1]);
      if (!o.products.includes(id)) return answer(404, { error: 'NOT_FOUND', message: `product ${id} not found` });
      if (o.throttleOnce?.includes(id) && !throttled.has(id)) {
        throttled.add(id);
        return answer(429, { error: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' }, { 'retry-after': '0' });
      }
      const step = GRANULARITY[url.searchParams.get('granularity') ?? ''];
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      if (!step || !Number.isFinite(start) || !Number.isFinite(end)) return answer(400, { error: 'INVALID_ARGUMENT', message: 'granularity, start and end are required' });
      if ((end - start) / step > 350) return answer(400, { error: 'INVALID_ARGUMENT', message: 'number of candles requested should be less than 350' });
      const missing = new Set((o.missing?.[id] ?? []).map((ms) => ms / 1000));
      const rows = [];
      for (let t = Math.ceil(start / step) * step; t < end; t += step) {
        if (missing.has(t)) continue;
        const close = quotedClose(id, t);
        const open = quotedClose(id, t - step);
        rows.push({ start: String(t), low: String(Math.min(open, close) * 0.999), high: String(Math.max(open, close) * 1.001), open: String(open), close: String(close), volume: String(1 + (t % 7)) });
      }
      return answer(200, { candles: rows.reverse() });
    }
    if (path.startsWith('/v2/')) return answer(200, { data: path.includes('exchange-rates') ? { currency: 'USD', rates: {} } : [] });
    return answer(404, { error: 'NOT_FOUND', message: `no route ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, requests, tokens,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function product(id: string): Record<string, unknown> {
  const [base, quote] = id.split('-');
  return {
    product_id: id, price: '100', base_increment: '0.00000001', quote_increment: '0.01', quote_min_size: '1', quote_max_size: '10000000',
    base_min_size: '0.00000001', base_max_size: '1000', base_name: base, quote_name: quote, status: 'online', is_disabled: false,
    trading_disabled: false, cancel_only: false, limit_only: false, post_only: false, auction_mode: false, product_type: 'SPOT',
    quote_currency_id: quote, base_currency_id: base, base_display_symbol: base, quote_display_symbol: quote, view_only: false, price_increment: '0.01',
  };
}

/** Why a request's JWT is not good for this request (null: it is), as Coinbase checks it. */
function jwtProblem(req: IncomingMessage, key: KeyObject, name: string, path: string, tokens: CoinbaseServer['tokens']): string | null {
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(auth);
  if (!m) return 'no bearer JWT';
  const [header, claims] = [m[1], m[2]].map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
  if (header.alg !== 'ES256') return `alg ${header.alg}, expected ES256`;
  if (header.kid !== name) return 'kid is not the API key name';
  const ok = verify('sha256', Buffer.from(`${m[1]}.${m[2]}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(m[3], 'base64url'));
  if (!ok) return 'signature does not verify with the API key';
  const now = Math.floor(Date.now() / 1000);
  if (claims.sub !== name || claims.iss !== 'coinbase-cloud') return 'sub / iss';
  if ((claims.exp as number) - (claims.nbf as number) !== 120) return 'a token must be valid two minutes';
  if (!(now >= (claims.nbf as number) - 5 && now <= (claims.exp as number))) return 'expired or not yet valid';
  const expected = `${req.method} ${req.headers.host}${path}`;
  const uri = String(claims.uri ?? '').replace(/^(GET|POST|PUT|DELETE) https?:\/\//, '$1 ');
  if (uri !== expected) return `uri ${claims.uri} is not this request (${expected})`;
  tokens.push(claims);
  return null;
}

export type { IncomingMessage, ServerResponse };
