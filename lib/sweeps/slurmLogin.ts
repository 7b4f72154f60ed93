import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { connectTo, fetchRun, prepareBox, shq, type ConnectOptions, type LocalRun, type SshSession } from '../remote';
import type { SweepPlan, SweepTask } from './plan';
import { arrayArgs, parsableJob, parseSqueue, recordSubmission, sbatchScript, SQUEUE, submissionsOf } from './slurmExecutor';

/**
 * SLURM through a login node over SSH: the project is synced to the login node's workdir
 * (which the compute nodes see) by `gatebook remote`'s sync, the plan and task configs and
 * the array script are written there, and `sbatch` runs there. Status and collect bring the
 * tasks' `running.json` / `exit.json` and SLURM's view back over the same connection, and
 * each task's ledger home the way `remote fetch` does (verified there and here, artifacts
 * checked by sha256) into the task's folder here — then everything reads them as if the
 * tasks had run here.
 */
export interface LoginOptions extends ConnectOptions { login: string; workdir: string; root?: string; install?: 'auto' | 'always' | 'never'; log: (line: string) => void }

export async function submitSlurmOverSsh(plan: SweepPlan, tasks: SweepTask[], o: LoginOptions): Promise<{ job: string; script: string }> {
  const session = await connectTo(o.login, o);
  try {
    const root = o.root ?? process.cwd();
    await prepareBox(session, { root, workdir: o.workdir, install: o.install ?? plan.sweep.slurm.install, log: o.log });
    const there = (path: string) => posix.join(o.workdir, path);
    await session.run(`mkdir -p ${[join(plan.dir, 'slurm'), ...plan.tasks.map((t) => t.dir)].map((d) => shq(there(d))).join(' ')}`, 'creating the sweep folders');
    await session.run(`cat > ${shq(there(join(plan.dir, 'plan.json')))}`, 'sending the plan', readFileSync(join(plan.dir, 'plan.json'), 'utf8'));
    for (const t of plan.tasks) await session.run(`cat > ${shq(there(t.config))}`, `sending ${t.config}`, readFileSync(t.config, 'utf8'));
    const script = join(plan.dir, 'sweep.sbatch');
    const text = sbatchScript(plan, o.workdir);
    writeFileSync(script, text); // the copy here, for reference
    await session.run(`cat > ${shq(there(script))}`, 'sending the sbatch script', text);
    await session.run(`cd ${shq(o.workdir)} && rm -f ${tasks.flatMap((t) => ['running.json', 'exit.json'].map((f) => shq(join(t.dir, f)))).join(' ')}`, 'clearing the last attempt');
    for (const t of tasks) for (const f of ['running.json', 'exit.json']) rmSync(join(t.dir, f), { force: true });
    const job = parsableJob(await session.run(`cd ${shq(o.workdir)} && sbatch --parsable ${[...arrayArgs(plan, tasks), script].map(shq).join(' ')}`, `sbatch on ${o.login}`));
    recordSubmission(plan, { executor: 'slurm', job, indices: tasks.map((t) => t.index), at: new Date().toISOString(), login: { host: o.login, workdir: o.workdir } });
    return { job, script };
  } finally {
    session.close();
  }
}

export interface LoginView { states: Map<string, Map<number, string>>; refused: { task: string; index: number; reason: string }[] }

/**
 * For a sweep submitted through a login node: its tasks' files and ledgers brought home and
 * SLURM's states asked there (none when nothing went through a login node). A task ledger
 * that does not verify there is reported and not brought.
 */
export async function pullFromLogin(plan: SweepPlan, o: ConnectOptions & { root?: string; ledgers?: boolean }): Promise<LoginView | null> {
  const login = [...submissionsOf(plan)].reverse().find((s) => s.login)?.login;
  if (!login) return null;
  const session = await connectTo(login.host, o);
  const view: LoginView = { states: new Map(), refused: [] };
  try {
    for (const job of new Set(submissionsOf(plan).filter((s) => s.login && s.job).map((s) => s.job!))) {
      view.states.set(job, parseSqueue((await session.exec(SQUEUE(job).map(shq).join(' '))).stdout));
    }
    for (const task of plan.tasks) {
      await copyTaskFiles(session, login.workdir, task);
      if (o.ledgers === false) continue;
      try {
        await fetchRun(session, pseudoRun(login, task), { root: o.root ?? process.cwd(), ledger: join(task.dir, 'gates.jsonl'), artifacts: task.dir, all: true, record: false, log: () => undefined });
      } catch (error) {
        view.refused.push({ task: task.id, index: task.index, reason: (error as Error).message.split('\n')[0] });
      }
    }
  } finally {
    session.close();
  }
  return view;
}

async function copyTaskFiles(session: SshSession, workdir: string, task: SweepTask): Promise<void> {
  mkdirSync(task.dir, { recursive: true });
  for (const f of ['running.json', 'exit.json']) {
    const bytes = await session.readFile(posix.join(workdir, task.dir, f));
    if (bytes) writeFileSync(join(task.dir, f), bytes);
    else rmSync(join(task.dir, f), { force: true });
  }
}

/** A task's ledger on the login node, in the shape `fetchRun` takes. */
function pseudoRun(login: { host: string; workdir: string }, task: SweepTask): LocalRun {
  return { id: `sweep-task-${task.id}`, host: login.host, connect: {}, workdir: login.workdir, args: [], ledger: posix.join(task.dir, 'gates.jsonl'), started: '', offset: 0, fetched: null };
}
