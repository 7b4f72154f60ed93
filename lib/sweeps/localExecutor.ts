import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import type { SweepPlan, SweepTask } from './plan';
import { clearAttempt } from './task';

/**
 * The `local` executor: the tasks as processes on this machine, at most `parallel` at once
 * (default: cores / threads per task), each `gatebook sweep task` with its output in
 * `<task>/task.log`. Resolves when all have ended, with each task's exit code.
 */
export async function runLocal(plan: SweepPlan, tasks: SweepTask[], o: { parallel?: number; log: (line: string) => void }): Promise<Map<string, number>> {
  const width = o.parallel ?? plan.sweep.local.parallel ?? Math.max(1, Math.floor(availableParallelism() / plan.sweep.local.threadsPerTask));
  o.log(`local: ${tasks.length} task(s), ${width} at a time`);
  const codes = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      const code = await runOne(plan, task);
      codes.set(task.id, code);
      o.log(`  task ${task.index} (${task.id}) ${code === 0 ? 'done' : `failed (exit ${code})`} — ${codes.size}/${tasks.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return codes;
}

function runOne(plan: SweepPlan, task: SweepTask): Promise<number> {
  clearAttempt(task);
  const log = openSync(join(task.dir, 'task.log'), 'w');
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'gatebook.js'), 'sweep', 'task', plan.dir, String(task.index)], {
    stdio: ['ignore', log, log], env: { ...process.env, GATEBOOK_WORKERS: String(plan.sweep.local.threadsPerTask) },
  });
  closeSync(log);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}
