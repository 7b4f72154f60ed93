import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import type { SweepPlan } from './plan';
import type { TaskStatus } from './status';

/**
 * The sweep's leaderboard: one row per task — each axis a column, then the state, the
 * failing gate and the sweep's metric — best first (highest, or lowest when the sweep
 * minimizes); tasks without the metric last. Written as CSV and markdown beside the plan.
 */
export function sweepLeaderboard(plan: SweepPlan, statuses: TaskStatus[]): { csv: string; markdown: string; rows: Record<string, unknown>[] } {
  const axes = Object.keys(plan.sweep.axes);
  const sign = plan.sweep.minimize ? 1 : -1;
  const sorted = [...statuses].sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : sign * (a.value - b.value)) || a.index - b.index);
  const rows = sorted.map((s, i) => ({
    rank: s.value === null ? '' : i + 1, task: s.id, ...Object.fromEntries(axes.map((k) => [k, s.overrides[k]])), state: s.state, failed_gate: s.gate ?? '', [plan.sweep.metric]: s.value ?? '', where: s.host ?? '',
  }));
  const columns = ['rank', 'task', ...axes, 'state', 'failed_gate', plan.sweep.metric, 'where'];
  const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v ?? ''));
  const csvCell = (v: unknown) => (/[",\n]/.test(cell(v)) ? `"${cell(v).replace(/"/g, '""')}"` : cell(v));
  const csv = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
  const markdown = [
    `# Sweep ${plan.name}: ${plan.sweep.metric} (${plan.sweep.minimize ? 'lowest' : 'highest'} first)`, '',
    `| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell((r as Record<string, unknown>)[c])).join(' | ')} |`), '',
  ].join('\n');
  writeFileAtomic(join(plan.dir, 'leaderboard.csv'), csv);
  writeFileAtomic(join(plan.dir, 'leaderboard.md'), markdown);
  return { csv, markdown, rows };
}
