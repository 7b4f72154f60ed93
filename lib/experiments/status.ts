import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyLedger } from '../gates/ledger';
import type { GateRecord } from '../gates/record';
import { gateById } from '../pipeline/gates';
import { workflowGates } from '../pipeline/workflows';
import { verifyRunbookFile } from '../runbooks/verify';
import { liveHolder } from '../util/lock';
import type { Experiment } from './experiment';

export const STATUSES = ['active', 'success', 'failed', 'stale', 'idle'] as const;
export type ExperimentStatus = (typeof STATUSES)[number];

export interface StatusThresholds {
  /** changed within this many days: active (default 7) */
  activeDays: number;
  /** no activity for this many days: stale (default 30) */
  staleDays: number;
}

export const DEFAULT_THRESHOLDS: StatusThresholds = { activeDays: 7, staleDays: 30 };

export interface StatusReport {
  status: ExperimentStatus;
  /** why, in words: the record or the dates it was read from */
  why: string;
  lastActivity: Date;
  /** the latest record of each gate of the workflow */
  latest: Map<string, GateRecord>;
  records: GateRecord[];
}

/**
 * An experiment's status, from its ledger and its files — never from words in its notes:
 * - active: a run holds its artifacts folder now, or nothing decided it and it changed within `activeDays`;
 * - success: its workflow's final gate passed (its latest record) and every runbook of the gates it ran verifies;
 * - failed: its ledger does not verify, or the last gate it recorded failed or errored;
 * - stale: nothing decided it and no activity for `staleDays`;
 * - idle: nothing decided it, last active between the two.
 */
export function experimentStatus(exp: Experiment, t: StatusThresholds = DEFAULT_THRESHOLDS, now = new Date()): StatusReport {
  const running = liveHolder(join(exp.artifactsDir, '.run'));
  const ledger = existsSync(exp.ledgerPath) ? verifyLedger(exp.ledgerPath) : { records: [] as GateRecord[], firstBad: null };
  const records = ledger.records;
  const latest = new Map<string, GateRecord>();
  for (const r of records) if (gateById(r.gate)) latest.set(r.gate, r);
  const lastActivity = new Date(Math.max(
    ...[exp.configPath, exp.notesPath, exp.metadataPath, exp.ledgerPath].filter(existsSync).map((p) => statSync(p).mtimeMs),
    ...records.map((r) => Date.parse(r.finished)),
  ));
  const report = (status: ExperimentStatus, why: string): StatusReport => ({ status, why, lastActivity, latest, records });
  if (running) return report('active', `a run is in progress: pid ${running.pid} on ${running.host} since ${running.started}`);
  if (ledger.firstBad) return report('failed', `its ledger does not verify: line ${ledger.firstBad.line}: ${ledger.firstBad.reason}`);
  const finalGate = workflowGates(exp.metadata.workflow).at(-1)!.id;
  const final = latest.get(finalGate);
  if (final?.status === 'pass') {
    const open = runbookProblems(exp, records);
    if (open.length === 0) return report('success', `${finalGate} passed at ${final.finished} (record ${final.hash.slice(0, 10)}…) and its runbooks verify`);
  }
  const lastGate = records.filter((r) => gateById(r.gate)).at(-1);
  if (lastGate && lastGate.status !== 'pass') {
    const check = lastGate.checks.find((c) => !c.pass);
    return report('failed', `gate ${lastGate.gate} ${lastGate.status === 'fail' ? 'failed' : 'errored'} at ${lastGate.finished}: ${lastGate.error ?? (check ? `${check.metric} = ${check.value} (${check.op} ${check.threshold})` : 'a check did not hold')}`);
  }
  const days = (now.getTime() - lastActivity.getTime()) / 86_400_000;
  const said = final?.status === 'pass' ? `${finalGate} passed but runbooks are open; ` : '';
  if (days < t.activeDays) return report('active', `${said}changed ${days < 1 ? 'today' : `${Math.floor(days)} day(s) ago`} (within ${t.activeDays})`);
  if (days >= t.staleDays) return report('stale', `${said}no activity for ${Math.floor(days)} days (${t.staleDays} or more)`);
  return report('idle', `${said}last active ${Math.floor(days)} days ago (between ${t.activeDays} and ${t.staleDays})`);
}

/**
 * What keeps the runbooks of the gates an experiment ran from verifying: an automatic item
 * that fails, a manual one not signed. Runbooks of gates the decision tree skipped (no record) are not asked.
 */
export function runbookProblems(exp: Experiment, records: GateRecord[]): string[] {
  const ran = new Set(records.map((r) => r.gate));
  const runbooks = [...new Set(workflowGates(exp.metadata.workflow).filter((g) => ran.has(g.id)).map((g) => g.runbook))];
  const problems: string[] = [];
  for (const runbook of runbooks) {
    const file = join(exp.runbooksDir, runbook.replace(/^runbooks\//, ''));
    if (!existsSync(file)) {
      problems.push(`${file} is missing`);
      continue;
    }
    const result = verifyRunbookFile(file, records);
    for (const item of result.items) {
      if (item.status === 'fails') problems.push(`${file} line ${item.item.line}: ${item.item.text} — ${item.reason}`);
      if (item.status === 'manual-open') problems.push(`${file} line ${item.item.line}: manual item not signed: ${item.item.text} (tick it and end the line with "— name, YYYY-MM-DD")`);
    }
  }
  return problems;
}
