import { GATES } from '../gates/definitions';
import { formatNumber } from '../gates/messages';
import type { GateRecord } from '../gates/record';
import { readRunbook } from '../runbooks/runbook';
import { gatesOfRunbook, listRunbooks } from '../runbooks/scope';
import { contextOf, verifyRunbook } from '../runbooks/verify';

/** The latest record of each gate as a table: status, key metric, when, duration. */
export function formatGateTable(records: GateRecord[]): string {
  const latest = new Map(records.map((r) => [r.gate, r]));
  const rows = GATES.filter((g) => latest.has(g.id)).map((g) => {
    const r = latest.get(g.id)!;
    const key = r.metrics[g.keyMetric];
    return [g.id, r.status, `${g.keyMetric} = ${key === undefined || key === null ? 'n/a' : formatNumber(key)}`, r.finished.replace('T', ' ').slice(0, 19), `${r.duration_s.toFixed(1)} s`];
  });
  return table(['gate', 'status', 'key metric', 'finished (UTC)', 'took'], rows);
}

/**
 * One line per runbook: whether it holds on the ledger; a runbook none of whose gates has
 * a record yet says which it is waiting for instead.
 */
export function formatRunbookSummary(dir: string, records: GateRecord[]): string {
  const ctx = contextOf(records);
  const lines = listRunbooks(dir).map((path) => {
    const runbook = readRunbook(path);
    const gates = gatesOfRunbook(runbook);
    if (gates.length > 0 && gates.every((g) => !ctx.latest.has(g))) return `  · ${path}: waiting for gate(s) ${gates.join(', ')}`;
    const result = verifyRunbook(runbook, ctx);
    const c = result.counts;
    return `  ${result.ok ? '✓' : '✗'} ${path}: ${c.holds} ✓, ${c.fails} ✗, ${c['manual-done']} manual done, ${c['manual-open']} manual open`;
  });
  return lines.length ? lines.join('\n') : `  (no runbooks in ${dir})`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
