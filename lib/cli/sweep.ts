import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../gates';
import { bestRecord, intactRecords } from '../gates/queries';
import {
  collectSweep, loadSweepFile, planSweep, pullFromLogin, readPlan, runLocal, runSsh, runTask, submitSlurm, submitSlurmOverSsh, sweepDirOf, sweepLeaderboard, sweepLedgerOf, sweepStatus,
  type SweepPlan, type SweepTask,
} from '../sweeps';
import { CheckFailedError, InputError } from '../util/errors';
import { action, intOption } from './action';

interface Flags { artifacts: string; port?: number; user?: string; identity?: string; sshConfig?: string; knownHosts?: string; acceptNewHostKey?: boolean }

const out = (line: string) => process.stderr.write(`${line}\n`);

/** A sweep by its file (planned when it has no plan yet), its name, or its folder. */
function openSweep(ref: string, artifacts: string, o: { plan?: boolean } = {}): SweepPlan {
  if (/\.ya?ml$/.test(ref)) {
    const loaded = loadSweepFile(ref);
    const dir = sweepDirOf(loaded.sweep.name, artifacts);
    return o.plan && !existsSync(join(dir, 'plan.json')) ? planSweep(loaded, { artifacts }) : readPlan(dir);
  }
  return readPlan(existsSync(join(ref, 'plan.json')) ? ref : sweepDirOf(ref, artifacts));
}

async function execute(plan: SweepPlan, tasks: SweepTask[], executor: string, f: Flags & { parallel?: number; login?: string; workdir?: string }): Promise<number> {
  const login = f.login ?? plan.sweep.slurm.login;
  if (executor === 'slurm') {
    const { job, script } = login
      ? await submitSlurmOverSsh(plan, tasks, { ...f, login, workdir: f.workdir ?? plan.sweep.slurm.workdir, log: out })
      : submitSlurm(plan, tasks);
    console.log(`submitted ${tasks.length} task(s) of sweep ${plan.name} to SLURM${login ? ` on ${login}` : ''}: job ${job} (script ${script}); \`gatebook sweep status ${plan.name}\` follows it, \`gatebook sweep collect ${plan.name}\` merges when done`);
    return 0;
  }
  const codes = executor === 'local' ? await runLocal(plan, tasks, { parallel: f.parallel, log: out }) : await runSsh(plan, tasks, { ...f, log: out });
  const failed = [...codes.values()].filter((c) => c !== 0).length;
  console.log(`sweep ${plan.name}: ${codes.size - failed} task(s) done, ${failed} failed; \`gatebook sweep collect ${plan.name}\` merges their ledgers`);
  return failed ? 1 : 0;
}

const withConnect = (c: Command) => c
  .option('--artifacts <dir>', 'the artifacts folder (sweeps live in <artifacts>/sweeps/<name>/)', 'artifacts')
  .option('-i, --identity <key>', 'ssh executor: private key file (else ~/.ssh/config, ~/.ssh/id_*, ssh-agent)')
  .option('--ssh-config <file>', 'ssh executor: the ssh config for host aliases')
  .option('--known-hosts <file>', 'ssh executor: the known_hosts file')
  .option('--accept-new-host-key', 'ssh executor: accept an unknown host key once and record it');

const EXECUTORS = ['local', 'ssh', 'slurm'];

const withLogin = (c: Command) => c
  .option('--login <host>', 'slurm: submit on this login node over SSH (default: slurm.login in the sweep file; else sbatch here)')
  .option('--workdir <dir>', 'slurm over SSH: the project folder on the login node, seen by the compute nodes (default: slurm.workdir)');

/** For a sweep submitted through a login node: bring its tasks' files and ledgers home first. */
async function refreshed(plan: SweepPlan, f: Flags, ledgers = true) {
  const view = await pullFromLogin(plan, { ...f, ledgers });
  return { statuses: sweepStatus(plan, { states: view?.states }), refused: view?.refused ?? [] };
}

/** `gatebook sweep plan|run|status|collect|resubmit|task`: grids of configs on SLURM, SSH boxes or this machine, merged into one verified ledger. */
export function registerSweep(program: Command): void {
  const sweep = program.command('sweep').description('sweeps: a grid of configs run as tasks on this machine, SSH boxes or SLURM, each with its own ledger, merged into one verified sweep ledger (docs/sweeps.md)');
  sweep.command('plan <sweep.yaml>')
    .description('the tasks of a sweep file (every combination of its axes), each config validated and written to <artifacts>/sweeps/<name>/<task>/')
    .option('--artifacts <dir>', 'the artifacts folder', 'artifacts')
    .option('--force', 'overwrite task configs that differ from this plan')
    .option('--json', 'as JSON')
    .action(action((file: string, f: { artifacts: string; force?: boolean; json?: boolean }) => {
      const plan = planSweep(loadSweepFile(file), { artifacts: f.artifacts, force: f.force });
      if (f.json) console.log(JSON.stringify(plan.tasks, null, 2));
      else {
        console.log(`sweep ${plan.name}: ${plan.tasks.length} task(s) in ${plan.dir} (axes ${Object.keys(plan.sweep.axes).join(' × ')})`);
        for (const t of plan.tasks) console.log(`  ${String(t.index).padStart(3)}  ${t.id}  ${Object.entries(t.overrides).map(([k, v]) => `${k}=${v}`).join('  ')}`);
      }
      return 0;
    }));
  withLogin(withConnect(sweep.command('run <sweep>')))
    .description('run every task (planned first if need be): --executor local (a bounded pool here), ssh (over the sweep file\'s hosts), slurm (an sbatch array)')
    .requiredOption('--executor <name>', 'local | ssh | slurm')
    .option('--parallel <n>', 'local: tasks at once (default: cores / threads per task)', intOption('--parallel'))
    .action(action(async (ref: string, f: Flags & { executor: string; parallel?: number; login?: string; workdir?: string }) => {
      if (!EXECUTORS.includes(f.executor)) throw new InputError(`invalid --executor: ${f.executor} (expected ${EXECUTORS.join(', ')})`);
      const plan = openSweep(ref, f.artifacts, { plan: true });
      return execute(plan, plan.tasks, f.executor, f);
    }));
  withConnect(sweep.command('status <sweep>'))
    .description('each task: pending / running / done / failed (with the failing gate), from its own files and SLURM (through the login node when it was submitted there)')
    .option('--json', 'as JSON')
    .action(action(async (ref: string, f: Flags & { json?: boolean }) => {
      const plan = openSweep(ref, f.artifacts);
      const rows = (await refreshed(plan, f)).statuses;
      if (f.json) console.log(JSON.stringify(rows, null, 2));
      else for (const r of rows) console.log(`  ${String(r.index).padStart(3)}  ${r.id}  ${r.state.padEnd(7)}  ${r.value === null ? '' : `${plan.sweep.metric} ${formatNumber(r.value)}  `}${r.why}`);
      const counts = ['done', 'running', 'pending', 'failed'].map((s) => `${rows.filter((r) => r.state === s).length} ${s}`).join(', ');
      out(`sweep ${plan.name}: ${counts}`);
      return 0;
    }));
  withConnect(sweep.command('collect <sweep>'))
    .description('verify every task\'s ledger and merge its records into the sweep ledger (a broken one is named and left out); then the best task and the leaderboard')
    .action(action(async (ref: string, f: Flags) => {
      const plan = openSweep(ref, f.artifacts);
      const { statuses, refused } = await refreshed(plan, f);
      const r = await collectSweep(plan, statuses, { exclude: refused });
      const ledger = sweepLedgerOf(plan);
      console.log(`merged ${r.merged} record(s) from ${r.tasks} task ledger(s) into ${ledger} (${r.skipped} already there${r.missing.length ? `; ${r.missing.length} task(s) have no ledger yet` : ''}); it verifies`);
      for (const bad of r.refused) console.log(`  ✗ task ${bad.index} (${bad.task}) left out: ${bad.reason}`);
      const board = sweepLeaderboard(plan, statuses);
      const best = bestRecord(intactRecords(ledger), plan.sweep.metric, plan.sweep.minimize);
      if (best?.provenance.sweep) console.log(`best ${plan.sweep.metric}: ${formatNumber(best.metrics[plan.sweep.metric] as number)} — task ${best.provenance.sweep.index} (${best.provenance.sweep.task}: ${JSON.stringify(best.provenance.sweep.overrides)}), gate ${best.gate}`);
      console.log(`leaderboard: ${join(plan.dir, 'leaderboard.md')} and .csv (${board.rows.length} task(s))`);
      if (r.refused.length) throw new CheckFailedError(`${r.refused.length} task ledger(s) did not verify and were not merged: ${r.refused.map((b) => `task ${b.index} (${b.task})`).join(', ')}`);
      return 0;
    }));
  withLogin(withConnect(sweep.command('resubmit <sweep>')))
    .description('run again only the tasks that failed (with the same executor options)')
    .requiredOption('--failed', 'the failed tasks (the only selection so far)')
    .requiredOption('--executor <name>', 'local | ssh | slurm')
    .option('--parallel <n>', 'local: tasks at once', intOption('--parallel'))
    .action(action(async (ref: string, f: Flags & { executor: string; parallel?: number; login?: string; workdir?: string }) => {
      if (!EXECUTORS.includes(f.executor)) throw new InputError(`invalid --executor: ${f.executor} (expected ${EXECUTORS.join(', ')})`);
      const plan = openSweep(ref, f.artifacts);
      const failed = (await refreshed(plan, f)).statuses.filter((s) => s.state === 'failed').map((s) => plan.tasks[s.index]);
      if (!failed.length) {
        console.log(`sweep ${plan.name}: no failed task; nothing resubmitted`);
        return 0;
      }
      out(`resubmitting ${failed.length} failed task(s): ${failed.map((t) => `${t.index} (${t.id})`).join(', ')}`);
      return execute(plan, failed, f.executor, f);
    }));
  sweep.command('task <dir> <index>')
    .description('run one task of a planned sweep here (what a SLURM array task or a remote box runs); writes running.json and exit.json in its folder')
    .action(action(async (dir: string, index: string) => {
      if (!/^\d+$/.test(index)) throw new InputError(`invalid task index: ${index}`);
      return runTask(dir, Number(index));
    }));
}
