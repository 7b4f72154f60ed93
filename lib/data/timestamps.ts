/**
 * Turning a file's time column into UTC epoch milliseconds: numbers in s, ms, µs or ns
 * (told apart by magnitude), or ISO-8601 text (a date alone is midnight UTC; text without a
 * zone is read as UTC, never as the machine's local time).
 */
export type TimestampUnit = 's' | 'ms' | 'us' | 'ns' | 'iso';

/**
 * The unit of numeric epoch times, from the median magnitude: one absurd value (an int64
 * maximum standing in for "missing") must not turn every other timestamp into nanoseconds.
 */
export function numericUnit(values: ArrayLike<number>): TimestampUnit {
  const magnitudes = Array.from(values).filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  const median = magnitudes.length ? magnitudes[Math.floor(magnitudes.length / 2)] : 0;
  if (median < 1e11) return 's';
  if (median < 1e14) return 'ms';
  if (median < 1e17) return 'us';
  return 'ns';
}

/** Epoch ms a bar may plausibly have: from 1900 to 2200. Outside, the value is a placeholder or a unit mix-up. */
export const PLAUSIBLE_MS: readonly [number, number] = [Date.UTC(1900, 0, 1), Date.UTC(2200, 0, 1)];

const SCALE: Record<Exclude<TimestampUnit, 'iso'>, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/** Epoch numbers in `unit` to ms (rounded to whole ms). */
export function toMilliseconds(value: number, unit: Exclude<TimestampUnit, 'iso'>): number {
  return Math.round(value * SCALE[unit]);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$/i;

/** ISO text to epoch ms, or NaN when the text is not an ISO date/time. */
export function parseIsoTimestamp(text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = frac ? Math.round(Number(frac) * 1000) : 0;
  let offset = 0;
  if (zone && !/^(z|utc)$/i.test(zone)) {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms) - offset;
  // Date.UTC rolls 2020-02-31 over into March: reject dates that do not exist.
  const check = new Date(t + offset);
  return check.getUTCDate() === +d && check.getUTCMonth() === +mo - 1 ? t : NaN;
}
