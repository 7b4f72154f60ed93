import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appendRecord, verifyLedger } from '../gates';
import { CheckFailedError } from '../util/errors';
import type { SweepPlan } from './plan';
import { taskLedgerOf, type TaskStatus } from './status';

/**
 * Merge every task's ledger into the sweep's (`<sweep>/gates.jsonl`): each task ledger must
 * verify (chain, key, anchor) — a broken one is reported with its task and line and left out,
 * never merged; its records join as new records of the sweep ledger whose provenance names
 * the sweep, the task, its overrides, where it ran and its hash in the task's ledger (how a
 * second collect skips it). The merged ledger must verify.
 */
export interface CollectReport { merged: number; skipped: number; tasks: number; refused: { task: string; index: number; reason: string }[]; missing: string[] }

export const sweepLedgerOf = (plan: SweepPlan) => join(plan.dir, 'gates.jsonl');

/** `exclude`: tasks already refused elsewhere (a login node's ledger that did not verify there): reported, not merged. */
export async function collectSweep(plan: SweepPlan, statuses: TaskStatus[], o: { exclude?: CollectReport['refused'] } = {}): Promise<CollectReport> {
  const ledger = sweepLedgerOf(plan);
  const seen = new Set(verifyLedger(ledger).records.map((r) => r.provenance.sweep && `${r.provenance.sweep.task}:${r.provenance.sweep.record}`));
  const report: CollectReport = { merged: 0, skipped: 0, tasks: 0, refused: [...(o.exclude ?? [])], missing: [] };
  for (const task of plan.tasks) {
    if (o.exclude?.some((x) => x.task === task.id)) continue;
    const path = taskLedgerOf(task);
    if (!existsSync(path)) {
      report.missing.push(task.id);
      continue;
    }
    const state = verifyLedger(path);
    if (state.firstBad) {
      report.refused.push({ task: task.id, index: task.index, reason: `${path} line ${state.firstBad.line}: ${state.firstBad.reason}` });
      continue;
    }
    report.tasks++;
    const where = statuses.find((s) => s.id === task.id);
    for (const record of state.records) {
      if (seen.has(`${task.id}:${record.hash}`)) {
        report.skipped++;
        continue;
      }
      const { prev: _prev, hash, mac: _mac, ...rest } = record;
      const sweep = { name: plan.name, task: task.id, index: task.index, overrides: task.overrides, job: where?.job ?? null, host: where?.host ?? null, record: hash };
      await appendRecord(ledger, { ...rest, provenance: { ...rest.provenance, sweep } });
      report.merged++;
    }
  }
  const after = verifyLedger(ledger);
  if (after.firstBad) throw new CheckFailedError(`${ledger} line ${after.firstBad.line} after the merge: ${after.firstBad.reason}`);
  return report;
}
