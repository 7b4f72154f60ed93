import type { GateRecord } from './record';

/** The record with the highest (or, with `lowest`, the lowest) value of a metric; null when no record has it. */
export function bestRecord(records: GateRecord[], metric: string, lowest = false): GateRecord | null {
  const sign = lowest ? -1 : 1;
  const candidates = records.filter((r) => typeof r.metrics[metric] === 'number');
  if (!candidates.length) return null;
  return candidates.reduce((a, b) => (sign * (b.metrics[metric] as number) > sign * (a.metrics[metric] as number) ? b : a));
}
