import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { CheckFailedError } from '../util/errors';
import type { SweepPlan, SweepTask } from './plan';
import { clearAttempt } from './task';

/**
 * The `slurm` executor: one sbatch array script per sweep (`<sweep>/sweep.sbatch`), whose
 * array task `SLURM_ARRAY_TASK_ID` runs `gatebook sweep task <sweep> <index>` from the
 * project folder; resources from the sweep file. Each submission (the job id and which
 * indices) is recorded in `<sweep>/submissions.json`, so `sweep status` can ask SLURM and
 * `resubmit --failed` submits only those indices again with the same script.
 */
export interface Submission { executor: 'slurm' | 'local' | 'ssh'; job: string | null; indices: number[]; at: string; hosts?: Record<string, string>; login?: { host: string; workdir: string } }

export function sbatchScript(plan: SweepPlan, projectRoot: string): string {
  const s = plan.sweep.slurm;
  const n = plan.tasks.length;
  const out = isAbsolute(plan.dir) ? join(plan.dir, 'slurm') : posix.join(projectRoot, plan.dir, 'slurm');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=gatebook-${plan.name}`,
    `#SBATCH --array=0-${n - 1}${s.parallel ? `%${s.parallel}` : ''}`,
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.account ? [`#SBATCH --account=${s.account}`] : []),
    `#SBATCH --time=${s.time}`,
    `#SBATCH --cpus-per-task=${s.cpus}`,
    ...(s.gpus ? [`#SBATCH --gpus-per-task=${s.gpus}`] : []),
    ...(s.mem ? [`#SBATCH --mem=${s.mem}`] : []),
    `#SBATCH --output=${out}/%A_%a.out`,
    '',
    `# gatebook sweep ${plan.name}: ${n} task(s), one per point of the grid of ${Object.keys(plan.sweep.axes).join(' × ')}.`,
    '# Each array task runs one (its index is SLURM_ARRAY_TASK_ID) and writes its own ledger and',
    `# artifacts under ${plan.dir}/<task id>/; \`gatebook sweep collect\` merges them.`,
    'set -euo pipefail',
    `cd ${JSON.stringify(projectRoot)}`,
    `export GATEBOOK_WORKERS=\${SLURM_CPUS_PER_TASK:-${s.cpus}}`,
    `exec \${GATEBOOK_NODE:-node} bin/gatebook.js sweep task ${JSON.stringify(plan.dir)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** `--array=2,5` when only some tasks are submitted (the script's own --array covers all). */
export function arrayArgs(plan: SweepPlan, tasks: SweepTask[]): string[] {
  return tasks.length === plan.tasks.length ? [] : [`--array=${tasks.map((t) => t.index).join(',')}${plan.sweep.slurm.parallel ? `%${plan.sweep.slurm.parallel}` : ''}`];
}

/** The job id in `sbatch --parsable` output (`123` or `123;cluster`). */
export const parsableJob = (text: string) => text.trim().split('\n').at(-1)!.split(';')[0];

export function submissionsOf(plan: SweepPlan): Submission[] {
  const path = join(plan.dir, 'submissions.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Submission[]) : [];
}

export function recordSubmission(plan: SweepPlan, s: Submission): void {
  writeFileAtomic(join(plan.dir, 'submissions.json'), JSON.stringify([...submissionsOf(plan), s], null, 2) + '\n');
}

/** Write the script and submit the tasks (all, or those given: `--array=2,5`); returns the job id. */
export function submitSlurm(plan: SweepPlan, tasks: SweepTask[], o: { projectRoot?: string; sbatch?: string } = {}): { job: string; script: string } {
  const script = join(plan.dir, 'sweep.sbatch');
  mkdirSync(join(plan.dir, 'slurm'), { recursive: true }); // sbatch fails a job whose --output folder is missing
  writeFileAtomic(script, sbatchScript(plan, resolve(o.projectRoot ?? '.')));
  for (const t of tasks) clearAttempt(t);
  const args = ['--parsable', ...arrayArgs(plan, tasks), script];
  let job: string;
  try {
    job = parsableJob(execFileSync(o.sbatch ?? 'sbatch', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    throw new CheckFailedError(e.code === 'ENOENT' ? 'sbatch is not on the PATH: run this on a SLURM login node (or use --executor local|ssh)' : `sbatch refused ${script}: ${String(e.stderr ?? e.message).trim()}`);
  }
  recordSubmission(plan, { executor: 'slurm', job, indices: tasks.map((t) => t.index), at: new Date().toISOString() });
  return { job, script };
}

export const SQUEUE = (job: string) => ['squeue', '-h', '-t', 'all', '-r', '-j', job, '-o', '%K %T'];

/** SLURM's state of each array task of a job it still knows (`squeue -t all`): index → PENDING, RUNNING, COMPLETED, FAILED, … */
export function slurmStates(job: string): Map<number, string> {
  try {
    const [cmd, ...args] = SQUEUE(job);
    return parseSqueue(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return new Map(); // the job is gone from the controller (MinJobAge): the tasks' own files say the rest
  }
}

export function parseSqueue(text: string): Map<number, string> {
  const states = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [index, state] = line.trim().split(/\s+/);
    if (/^\d+$/.test(index ?? '')) states.set(Number(index), state);
  }
  return states;
}
