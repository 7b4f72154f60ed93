import { basename } from 'node:path';
import { formatNumber } from '../gates/messages';
import type { GateRecord } from '../gates/record';
import { readRunbook } from '../runbooks/runbook';
import { gatesOfRunbook, listRunbooks } from '../runbooks/scope';
import { contextOf, verifyRunbook } from '../runbooks/verify';
import { GATES } from './gates';
import type { GateOutcome } from './runner';

/** What this run did with a gate, for the table's last column. */
export function outcomeMark(action: GateOutcome['action']): string {
  return action === 'ran' ? 'ran' : action === 'skipped-same-inputs' ? 'reused: unchanged inputs' : 'skipped by decision';
}

/**
 * The latest record of each gate as a table: status, key metric, when, duration, and —
 * given `marks` (gate → what this run did) — whether this run ran it or reused it.
 */
export function formatGateTable(records: GateRecord[], marks?: Map<string, string>): string {
  const latest = new Map(records.map((r) => [r.gate, r]));
  const rows = GATES.filter((g) => latest.has(g.id)).map((g) => {
    const r = latest.get(g.id)!;
    const key = r.metrics[g.keyMetric];
    const row = [g.id, r.status, `${g.keyMetric} = ${key === undefined || key === null ? 'n/a' : formatNumber(key)}`, r.finished.replace('T', ' ').slice(0, 19), `${r.duration_s.toFixed(1)} s`];
    return marks ? [...row, marks.get(g.id) ?? '–'] : row;
  });
  return table(['gate', 'status', 'key metric', 'finished (UTC)', 'took', ...(marks ? ['this run'] : [])], rows);
}

/**
 * One line per runbook: whether it holds on the ledger, or which gates it is waiting for.
 */
export function formatRunbookSummary(dir: string, records: GateRecord[]): string {
  const ctx = contextOf(records);
  const lines = listRunbooks(dir).map((path) => {
    const runbook = readRunbook(path);
    const waiting = waitingFor(path, gatesOfRunbook(runbook), ctx.latest);
    if (waiting.length > 0) return `  · ${path}: waiting for gate(s) ${waiting.join(', ')}`;
    const result = verifyRunbook(runbook, ctx);
    const c = result.counts;
    return `  ${result.ok ? '✓' : '✗'} ${path}: ${c.holds} ✓, ${c.fails} ✗, ${c['manual-done']} manual done, ${c['manual-open']} manual open`;
  });
  return lines.length ? lines.join('\n') : `  (no runbooks in ${dir})`;
}

/**
 * A runbook is judged once a gate that declares it (its `runbook`) has a record; a
 * runbook no gate declares waits until every gate it reads has one.
 */
function waitingFor(path: string, reads: string[], latest: Map<string, GateRecord>): string[] {
  const owners = GATES.filter((g) => basename(g.runbook) === basename(path)).map((g) => g.id);
  if (owners.length > 0) return owners.some((g) => latest.has(g)) ? [] : owners;
  return reads.filter((g) => !latest.has(g));
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
