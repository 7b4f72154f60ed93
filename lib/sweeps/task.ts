import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { packageRoot } from '../util/packageRoot';
import { signalChild } from '../util/signalChild';
import { readPlan, taskArgs, type SweepPlan, type SweepTask } from './plan';

/**
 * One task of a sweep, wherever it runs (a local process, a SLURM array task, a remote
 * box): `gatebook sweep task <sweep dir> <index>` runs its pipeline and leaves in the task's
 * folder `running.json` (host, pid, SLURM job) while it runs and `exit.json` (code, when)
 * at the end — the status a scheduler may have forgotten.
 */
export interface TaskRunning { host: string; pid: number; job: string | null; started: string }
export interface TaskExit { code: number | null; signal: string | null; host: string; job: string | null; finished: string }

export const slurmJobOfEnv = (env = process.env) =>
  env.SLURM_ARRAY_JOB_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : (env.SLURM_JOB_ID ?? null);

export function taskByIndex(plan: SweepPlan, index: number): SweepTask {
  const task = plan.tasks[index];
  if (!task) throw new Error(`sweep ${plan.name} has tasks 0–${plan.tasks.length - 1}, not ${index}`);
  return task;
}

/** Forget a task's last attempt (before it is run again). */
export function clearAttempt(task: SweepTask): void {
  for (const f of ['running.json', 'exit.json']) rmSync(join(task.dir, f), { force: true });
}

export function readTaskFile<T>(task: SweepTask, name: 'running.json' | 'exit.json'): T | null {
  const path = join(task.dir, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

/** Run task `index` of the sweep in `dir` here, its output on this process's stdout/stderr; resolves to its exit code. */
export function runTask(dir: string, index: number): Promise<number> {
  const plan = readPlan(dir);
  const task = taskByIndex(plan, index);
  clearAttempt(task);
  const job = slurmJobOfEnv();
  const running: TaskRunning = { host: hostname(), pid: process.pid, job, started: new Date().toISOString() };
  writeFileAtomic(join(task.dir, 'running.json'), JSON.stringify(running, null, 2) + '\n');
  process.stdout.write(`sweep ${plan.name} task ${index} (${task.id}): ${JSON.stringify(task.overrides)} on ${running.host}${job ? `, SLURM job ${job}` : ''}\n`);
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'gatebook.js'), ...taskArgs(plan, task)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => signalChild(child, signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    const exit: TaskExit = { code, signal, host: running.host, job, finished: new Date().toISOString() };
    writeFileAtomic(join(task.dir, 'exit.json'), JSON.stringify(exit, null, 2) + '\n');
    resolve(code ?? 1);
  }));
}
