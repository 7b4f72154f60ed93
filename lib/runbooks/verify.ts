import { writeFileAtomic } from '../util/atomic';
import type { GateRecord } from '../gates/record';
import { evaluate, EvaluationError, type EvaluationContext, type Evidence } from './evaluate';
import { readRunbook, withTicks, type Runbook, type RunbookItem } from './runbook';

export type ItemStatus = 'holds' | 'fails' | 'manual-done' | 'manual-open';

export interface ItemResult {
  item: RunbookItem;
  status: ItemStatus;
  evidence: Evidence[];
  /** Why an automatic item failed, or what a manual one lacks. */
  reason: string | null;
}

export interface RunbookResult {
  runbook: Runbook;
  items: ItemResult[];
  ok: boolean;
  counts: Record<ItemStatus, number>;
}

/** The evaluation context of a ledger's intact records. */
export function contextOf(records: GateRecord[], now = new Date()): EvaluationContext {
  const latest = new Map<string, GateRecord>();
  const counts = new Map<string, number>();
  for (const r of records) {
    latest.set(r.gate, r);
    counts.set(r.gate, (counts.get(r.gate) ?? 0) + 1);
  }
  return { latest, counts, now };
}

/**
 * Check every item: automatic ones against the ledger, manual ones for a tick with who and
 * when. The runbook holds only when every automatic item holds and every manual one is done.
 */
export function verifyRunbook(runbook: Runbook, ctx: EvaluationContext): RunbookResult {
  const items = runbook.items.map((item) => (item.expression ? automatic(item, ctx) : manual(item)));
  const counts = { holds: 0, fails: 0, 'manual-done': 0, 'manual-open': 0 };
  for (const r of items) counts[r.status]++;
  return { runbook, items, ok: counts.fails === 0 && counts['manual-open'] === 0, counts };
}

function automatic(item: RunbookItem, ctx: EvaluationContext): ItemResult {
  const evidence: Evidence[] = [];
  try {
    const value = evaluate(item.expression!.node, ctx, evidence);
    if (typeof value !== 'boolean') return { item, status: 'fails', evidence, reason: `evaluates to ${value}, not true or false` };
    if (value) return { item, status: 'holds', evidence, reason: null };
    const absent = [...new Set(evidence.filter((e) => e.hash === null).map((e) => e.ref.replace(/^\w+\((\w+)\)$/, '$1')))];
    return { item, status: 'fails', evidence, reason: `does not hold${absent.length ? `: no record of gate ${absent.join(', ')}` : ''}` };
  } catch (error) {
    if (!(error instanceof EvaluationError)) throw error;
    return { item, status: 'fails', evidence, reason: error.message };
  }
}

function manual(item: RunbookItem): ItemResult {
  if (!item.ticked) return { item, status: 'manual-open', evidence: [], reason: 'not ticked' };
  if (!item.signoff) return { item, status: 'manual-open', evidence: [], reason: 'ticked without who and when (end the line with "— name, YYYY-MM-DD")' };
  return { item, status: 'manual-done', evidence: [], reason: null };
}

/** Verify a runbook file; with `write`, tick the automatic items that hold and untick the rest. */
export function verifyRunbookFile(path: string, records: GateRecord[], options: { write?: boolean; now?: Date } = {}): RunbookResult {
  const result = verifyRunbook(readRunbook(path), contextOf(records, options.now));
  if (options.write) {
    const holds = new Map(result.items.filter((r) => r.item.expression).map((r) => [r.item.line, r.status === 'holds'] as [number, boolean]));
    writeFileAtomic(path, withTicks(result.runbook, holds));
  }
  return result;
}

/** One line per item: ✓ / ✗ / manual, the item, its evidence. */
export function formatRunbookResult(result: RunbookResult): string {
  const mark: Record<ItemStatus, string> = { holds: '✓', fails: '✗', 'manual-done': '✓ manual', 'manual-open': '· manual' };
  const lines = [`${result.runbook.path}: ${result.runbook.title}`];
  for (const r of result.items) {
    lines.push(`  ${mark[r.status].padEnd(8)} line ${String(r.item.line).padStart(3)}  ${r.item.text}`);
    const shown = r.evidence.map((e) => `${e.ref} = ${format(e.value)}${e.hash ? ` [record ${e.hash.slice(0, 10)}]` : ''}`);
    if (shown.length) lines.push(`${' '.repeat(20)}evidence: ${shown.join('; ')}`);
    if (r.reason && r.status !== 'holds') lines.push(`${' '.repeat(20)}${r.reason}`);
  }
  const c = result.counts;
  lines.push(`  ${result.ok ? 'HOLDS' : 'DOES NOT HOLD'}: ${c.holds} automatic ✓, ${c.fails} ✗, ${c['manual-done']} manual done, ${c['manual-open']} manual open`);
  return lines.join('\n');
}

function format(v: number | boolean | null): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toPrecision(4);
  return String(v);
}
