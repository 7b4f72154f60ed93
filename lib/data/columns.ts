import { InputError } from '../util/errors';

/** Which source column feeds each OHLCV column. `adjclose` only when asked for. */
export interface ColumnMapping {
  timestamp: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  symbol?: string;
  adjclose?: string;
}

const CANDIDATES: Record<keyof ColumnMapping, string[]> = {
  timestamp: ['timestamp', 'datetime', 'date', 'time', 'ts', 'opentime', 'starttime', 'timeopen'],
  open: ['open', 'o', 'openprice'],
  high: ['high', 'h', 'highprice'],
  low: ['low', 'l', 'lowprice'],
  close: ['close', 'c', 'closeprice'],
  volume: ['volume', 'vol', 'v', 'basevolume'],
  symbol: ['symbol', 'ticker', 'product', 'pair'],
  adjclose: ['adjclose', 'adjustedclose'],
};

/** "Adj Close" → "adjclose": case, spaces and punctuation do not matter. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Map the file's columns onto OHLCV by name (any case; date / datetime / timestamp …),
 * with explicit entries taking precedence. Names every column it could not find.
 */
export function detectColumns(columns: string[], explicit: Partial<ColumnMapping> = {}, where = 'input'): ColumnMapping {
  for (const [key, name] of Object.entries(explicit)) {
    if (name !== undefined && !columns.includes(name)) {
      throw new InputError(`${where}: mapping ${key}=${name} names no column (columns: ${describeColumns(columns)})`);
    }
  }
  const byNormal = new Map(columns.map((c) => [normalize(c), c]));
  const find = (key: keyof ColumnMapping) =>
    explicit[key] ?? CANDIDATES[key].map((c) => byNormal.get(c)).find((c) => c !== undefined);
  const mapping: Partial<ColumnMapping> = {};
  const missing: string[] = [];
  for (const key of Object.keys(CANDIDATES) as (keyof ColumnMapping)[]) {
    const found = find(key);
    if (found !== undefined) mapping[key] = found;
    else if (key !== 'symbol' && key !== 'adjclose') missing.push(key);
  }
  if (missing.length > 0) {
    throw new InputError(
      `${where}: cannot find column(s) for ${missing.join(', ')} among ${describeColumns(columns)}; ` +
        `name them with --map ${missing.map((m) => `${m}=<column>`).join(',')}`,
    );
  }
  return mapping as ColumnMapping;
}

/**
 * The file's column names for a message — only when they look like a header (short,
 * printable names): an error must not echo the first line of whatever file a path points at
 * (a symlink to a system file, a secret).
 */
function describeColumns(columns: string[]): string {
  const header = columns.length <= 64 && columns.every((c) => c.length <= 40 && /^[\w .\-()%/#]*$/.test(c));
  return header ? columns.join(', ') : `${columns.length} column(s) whose names do not look like a CSV header (is this a file of bars?)`;
}

/** Parse "timestamp=Date,close=Close" (the CLI's --map) into a partial mapping. */
export function parseMapping(text: string): Partial<ColumnMapping> {
  const mapping: Partial<ColumnMapping> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!(key in CANDIDATES) || !value) {
      throw new InputError(
        `invalid --map entry: ${JSON.stringify(part)} (expected key=column with key one of ${Object.keys(CANDIDATES).join(', ')})`,
      );
    }
    mapping[key as keyof ColumnMapping] = value;
  }
  return mapping;
}
