import { InputError } from '../util/errors';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m" → 900000. Units: s, m, h, d, w. */
export function parseInterval(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new InputError(`invalid interval: ${JSON.stringify(text)} (expected a count and a unit, e.g. 1m, 15m, 1h, 1d)`);
  }
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** 900000 → "15m": the largest unit that divides the length. */
export function formatInterval(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The bar interval: the most common positive step between consecutive timestamps
 * (robust to gaps, weekends and the odd duplicate). Null with fewer than two bars.
 */
export function detectInterval(timestamps: ArrayLike<number>): number | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < timestamps.length; i++) {
    const step = timestamps[i] - timestamps[i - 1];
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== null && step < best)) {
      best = step;
      bestCount = count;
    }
  }
  return best;
}
