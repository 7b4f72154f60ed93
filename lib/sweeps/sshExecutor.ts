import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectTo, fetchRun, shq, startRun, streamRun, type ConnectOptions, type SshSession } from '../remote';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import type { SweepPlan, SweepTask } from './plan';
import { recordSubmission } from './slurmExecutor';
import { clearAttempt, type TaskExit } from './task';

/**
 * The `ssh` executor: the tasks spread over the sweep file's hosts through `gatebook remote`
 * (its sync, detached start and verified fetch), one at a time on each host. A task's config
 * and the plan travel with it (artifacts are never synced); when it ends its records come
 * home into the task's own ledger here (provenance: host and remote run), its artifacts
 * beside them, and its exit into `exit.json` — so status and collect read every executor alike.
 */
export async function runSsh(plan: SweepPlan, tasks: SweepTask[], o: ConnectOptions & { root?: string; log: (line: string) => void }): Promise<Map<string, number>> {
  const hosts = plan.sweep.ssh.hosts.map((h) => (typeof h === 'string' ? { host: h, workdir: plan.sweep.ssh.workdir } : { host: h.host, workdir: h.workdir ?? plan.sweep.ssh.workdir }));
  if (!hosts.length) throw new InputError(`sweep ${plan.name}: the ssh executor needs hosts (ssh.hosts in the sweep file)`);
  const queue = [...tasks];
  const codes = new Map<string, number>();
  const assigned: Record<string, string> = {};
  o.log(`ssh: ${tasks.length} task(s) over ${hosts.map((h) => h.host).join(', ')}, one at a time on each`);
  await Promise.all(hosts.map(async ({ host, workdir }) => {
    if (!queue.length) return;
    const session = await connectTo(host, o);
    try {
      for (let task = queue.shift(); task; task = queue.shift()) {
        assigned[task.id] = host;
        const code = await runOnHost(session, plan, task, { root: o.root ?? process.cwd(), workdir, log: o.log });
        codes.set(task.id, code);
        o.log(`  task ${task.index} (${task.id}) on ${host}: ${code === 0 ? 'done' : `failed (exit ${code})`} — ${codes.size}/${tasks.length}`);
      }
    } finally {
      session.close();
    }
  }));
  recordSubmission(plan, { executor: 'ssh', job: null, indices: tasks.map((t) => t.index), at: new Date().toISOString(), hosts: assigned });
  return codes;
}

async function runOnHost(session: SshSession, plan: SweepPlan, task: SweepTask, o: { root: string; workdir: string; log: (line: string) => void }): Promise<number> {
  clearAttempt(task);
  const there = `${o.workdir}/${task.dir}`;
  await session.run(`mkdir -p ${shq(there)} && rm -f ${shq(`${there}/exit.json`)} ${shq(`${there}/running.json`)}`, `preparing ${task.dir}`);
  await session.run(`cat > ${shq(`${o.workdir}/${plan.dir}/plan.json`)}`, 'sending the plan', readFileSync(join(plan.dir, 'plan.json'), 'utf8'));
  await session.run(`cat > ${shq(`${there}/config.yaml`)}`, `sending ${task.config}`, readFileSync(task.config, 'utf8'));
  const run = await startRun(session, {
    root: o.root, workdir: o.workdir, args: ['sweep', 'task', plan.dir, String(task.index)], ledger: join(task.dir, 'gates.jsonl'), connect: {}, install: plan.sweep.ssh.install, log: () => undefined,
  });
  writeFileAtomic(join(task.dir, 'running.json'), JSON.stringify({ host: session.target.label, pid: 0, job: `ssh:${run.id}`, started: run.started }, null, 2) + '\n');
  const log: Buffer[] = [];
  const end = await streamRun(session, o.root, run, { write: (b) => log.push(b) });
  writeFileSync(join(task.dir, 'task.log'), Buffer.concat(log));
  await fetchRun(session, run, { root: o.root, ledger: join(task.dir, 'gates.jsonl'), artifacts: task.dir, all: true, log: () => undefined });
  const code = end.kind === 'finished' ? (end.exit.code ?? 1) : 1;
  const exit: TaskExit = { code, signal: end.kind === 'finished' ? end.exit.signal : null, host: session.target.label, job: `ssh:${run.id}`, finished: new Date().toISOString() };
  writeFileAtomic(join(task.dir, 'exit.json'), JSON.stringify(exit, null, 2) + '\n');
  return code;
}
