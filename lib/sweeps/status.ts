import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { verifyLedger, type GateRecord } from '../gates';
import { processAlive } from '../util/lock';
import type { SweepPlan, SweepTask } from './plan';
import { slurmStates, submissionsOf } from './slurmExecutor';
import { readTaskFile, type TaskExit, type TaskRunning } from './task';

/**
 * Where each task of a sweep stands: `pending` (submitted or planned, not started),
 * `running`, `done` (exit 0), `failed` (with the gate that failed or errored last, from the
 * task's own ledger, or why the scheduler ended it). From the task's files first (they
 * outlive the scheduler's memory), then SLURM's view of the latest submission holding it.
 */
export type TaskState = 'pending' | 'running' | 'done' | 'failed';
export interface TaskStatus {
  index: number;
  id: string;
  overrides: Record<string, unknown>;
  state: TaskState;
  /** The gate that failed or errored last, when the task failed at a gate. */
  gate: string | null;
  why: string;
  job: string | null;
  host: string | null;
  /** The task's latest value of the sweep's metric (a passing record's). */
  value: number | null;
}

export const taskLedgerOf = (task: SweepTask) => join(task.dir, 'gates.jsonl');

/** `states`: SLURM's view asked elsewhere (a login node), by job id; otherwise `squeue` here. */
export function sweepStatus(plan: SweepPlan, o: { states?: Map<string, Map<number, string>> } = {}): TaskStatus[] {
  const submissions = submissionsOf(plan);
  const slurm = new Map<string, Map<number, string>>(o.states ?? []);
  const slurmState = (job: string, index: number) => {
    if (!slurm.has(job)) slurm.set(job, slurmStates(job));
    return slurm.get(job)!.get(index) ?? null;
  };
  return plan.tasks.map((task) => {
    const records = existsSync(taskLedgerOf(task)) ? verifyLedger(taskLedgerOf(task), { anchorFile: null }).records : [];
    const last = records.at(-1);
    const failedGate = unresolvedFailure(records);
    const value = metricOf(records, plan.sweep.metric);
    const exit = readTaskFile<TaskExit>(task, 'exit.json');
    const running = readTaskFile<TaskRunning>(task, 'running.json');
    const base = { index: task.index, id: task.id, overrides: task.overrides, value, job: exit?.job ?? running?.job ?? null, host: exit?.host ?? running?.host ?? null };
    if (exit) {
      return exit.code === 0
        ? { ...base, state: 'done' as const, gate: null, why: `exit 0 at ${exit.finished}` }
        : { ...base, state: 'failed' as const, gate: failedGate, why: failedGate ? `gate ${failedGate} ${last?.gate === failedGate ? last.status : 'failed'} (exit ${exit.code ?? exit.signal})` : `exit ${exit.code ?? exit.signal} before any gate failed (see ${join(task.dir, 'task.log')} or the SLURM output)` };
    }
    const submission = [...submissions].reverse().find((s) => s.indices.includes(task.index));
    const state = submission?.executor === 'slurm' && submission.job ? slurmState(submission.job, task.index) : null;
    if (state && /^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$/.test(state)) {
      return { ...base, job: `${submission!.job}_${task.index}`, state: 'failed' as const, gate: failedGate, why: `SLURM: ${state}` };
    }
    if (running && !/^(RUNNING|PENDING|CONFIGURING|COMPLETING|SUSPENDED)$/.test(state ?? '') && running.pid > 0 && running.host === hostname() && !processAlive(running.pid)) {
      return { ...base, state: 'failed' as const, gate: failedGate, why: `died without an exit status (pid ${running.pid} on ${running.host} is gone: killed?)` };
    }
    if (running || state === 'RUNNING') return { ...base, state: 'running' as const, gate: null, why: running ? `since ${running.started} on ${running.host}` : 'SLURM: RUNNING' };
    return { ...base, state: 'pending' as const, gate: null, why: submission ? `submitted ${submission.at}${state ? ` (SLURM: ${state})` : ''}` : 'not submitted' };
  });
}

/** The latest passing record's value of `metric` (null when none recorded it). */
export function metricOf(records: GateRecord[], metric: string): number | null {
  const hit = [...records].reverse().find((r) => r.status === 'pass' && typeof r.metrics[metric] === 'number');
  return hit ? (hit.metrics[metric] as number) : null;
}

/** The gate of the latest failed or errored record that no later pass of the same gate made good. */
function unresolvedFailure(records: GateRecord[]): string | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (r.status !== 'pass' && !records.slice(i + 1).some((later) => later.gate === r.gate && later.status === 'pass')) return r.gate;
  }
  return null;
}
