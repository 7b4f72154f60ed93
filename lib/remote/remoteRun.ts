import { relative } from 'node:path';
import { findExperiment } from '../experiments';
import { CheckFailedError, InputError } from '../util/errors';
import type { RunExit } from './launcher';
import { REMOTE_STATE, syncProject } from './projectSync';
import { newRunId, remoteView, runDirOf, saveRun, type LocalRun } from './runs';
import { ConnectionError, shq, type SshSession } from './session';

export interface StartOptions {
  root: string;
  workdir: string;
  args: string[];
  /** The ledger the command writes, relative to the workdir, when its arguments do not say (see ledgerOfArgs). */
  ledger?: string;
  connect: LocalRun['connect'];
  /** `npm ci` on the box: when its lockfile changed since the last install (auto), always, or never. */
  install: 'auto' | 'always' | 'never';
  log: (line: string) => void;
  /** npm ci's output, as it comes. */
  onInstallOutput?: (bytes: Buffer) => void;
}

const MIN_NODE = 20;

/** The box's Node major version, or a clear error when it has none or an old one. */
export async function checkRemoteNode(session: SshSession): Promise<string> {
  const r = await session.exec('node --version');
  const major = Number(/^v(\d+)\./.exec(r.stdout.trim())?.[1]);
  if (r.code !== 0 || !(major >= MIN_NODE)) {
    throw new CheckFailedError(`${session.target.label} has ${r.code === 0 ? `Node ${r.stdout.trim()}` : 'no `node` on the PATH of a non-interactive SSH command'}: gatebook needs Node ≥ ${MIN_NODE} there ` +
      '(e.g. `curl -fsSL https://deb.nodesource.com/setup_22.x | bash - && apt-get install -y nodejs`)');
  }
  return r.stdout.trim();
}

/**
 * The ledger a gatebook command line writes, relative to the folder it runs in: `--ledger`,
 * else `--artifacts`/gates.jsonl; `exp run <experiment>` writes the experiment's own ledger
 * (found in this checkout, which the box's copy equals).
 */
export function ledgerOfArgs(args: string[], root = '.'): string {
  if (args[0] === 'exp' && args[1] === 'run' && args[2]) return relative(root, findExperiment(args[2], root).ledgerPath);
  const value = (flag: string) => {
    const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    return args[i].includes('=') ? args[i].slice(flag.length + 1) : args[i + 1];
  };
  return value('--ledger') ?? `${value('--artifacts') ?? 'artifacts'}/gates.jsonl`;
}

/** Sync, install when needed, and start `gatebook <args>` detached on the box; the run is recorded here. */
export async function startRun(session: SshSession, o: StartOptions): Promise<LocalRun> {
  if (!o.args.length) throw new InputError('no gatebook command to run: put it after `--`, e.g. `gatebook remote run box -- pipeline --to baseline`');
  await prepareBox(session, o);
  const run: LocalRun = {
    id: newRunId(), host: session.target.label, connect: o.connect, workdir: o.workdir, args: o.args,
    ledger: o.ledger ?? ledgerOfArgs(o.args, o.root), started: new Date().toISOString(), offset: 0, fetched: null,
  };
  const dir = `${REMOTE_STATE}/runs/${run.id}`;
  await session.run(`cd ${shq(o.workdir)} && mkdir -p ${shq(dir)} && node dist/remote/launcher.js --detach ${shq(dir)} ${shq(run.ledger)} -- ${o.args.map(shq).join(' ')}`, 'starting the run');
  saveRun(o.root, run);
  o.log(`started run ${run.id} on ${run.host} (detached: it goes on if this connection drops; Ctrl-C detaches)`);
  return run;
}

/** Make the box ready to run this checkout: Node checked, the project synced, `npm ci` when its lockfile changed. */
export async function prepareBox(session: SshSession, o: Pick<StartOptions, 'root' | 'workdir' | 'install' | 'log' | 'onInstallOutput'>): Promise<void> {
  const node = await checkRemoteNode(session);
  o.log(`${session.target.label}: Node ${node}, workdir ${o.workdir}`);
  const sync = await syncProject(session, o.root, o.workdir, o.log);
  await installIfNeeded(session, o, sync.lockSha256);
}

async function installIfNeeded(session: SshSession, o: Pick<StartOptions, 'workdir' | 'install' | 'log' | 'onInstallOutput'>, lockSha256: string | null): Promise<void> {
  if (o.install === 'never') return;
  const marker = `${o.workdir}/${REMOTE_STATE}/installed.json`;
  const installed = (await session.readFile(marker))?.toString('utf8');
  const modules = await session.exec(`test -d ${shq(`${o.workdir}/node_modules`)}`);
  const linked = (await session.exec(`test -L ${shq(`${o.workdir}/node_modules`)}`)).code === 0;
  const current = installed ? (JSON.parse(installed) as { lock_sha256: string }).lock_sha256 === lockSha256 : false;
  if (o.install === 'auto' && current && modules.code === 0) return;
  if (linked) {
    throw new CheckFailedError(`${session.target.label}: ${o.workdir}/node_modules is a link to another folder, and \`npm ci\` would empty what it points to: not run. ` +
      'Replace the link with a folder, or pass --install never (install: never in a sweep file) when the dependencies there are right');
  }
  o.log(`npm ci on ${session.target.label} (${!installed ? 'first install' : !current ? 'the lockfile changed' : o.install === 'always' ? '--install always' : 'node_modules missing'})`);
  const r = await session.stream(`cd ${shq(o.workdir)} && npm ci --no-audit --no-fund 2>&1`, { onStdout: o.onInstallOutput });
  if (r.code !== 0) throw new CheckFailedError(`${session.target.label}: \`npm ci\` in ${o.workdir} failed (exit ${r.code ?? r.signal}); its output is above. Nothing was started.`);
  await session.run(`cat > ${shq(marker)}`, 'recording the install', JSON.stringify({ lock_sha256: lockSha256, at: new Date().toISOString() }) + '\n');
}

export type StreamEnd = { kind: 'finished'; exit: RunExit } | { kind: 'detached' } | { kind: 'died' };

/**
 * Stream the run's log from where this terminal left off until the run ends (its exit),
 * the user detaches (`signal` aborted: Ctrl-C) or the connection drops (ConnectionError:
 * the run goes on). The offset read so far is saved, so `attach` resumes there.
 */
export async function streamRun(session: SshSession, root: string, run: LocalRun, o: { write: (bytes: Buffer) => void; signal?: AbortSignal }): Promise<StreamEnd> {
  const state = await waitForState(session, run);
  if (!state) return { kind: 'died' };
  const log = `${runDirOf(run)}/log`;
  let saved = Date.now();
  const take = (b: Buffer) => {
    o.write(b);
    run.offset += b.length;
    if (Date.now() - saved > 1000) {
      saveRun(root, run);
      saved = Date.now();
    }
  };
  const detach = () => session.close();
  o.signal?.addEventListener('abort', detach, { once: true });
  try {
    await session.stream(`tail -s 0.2 --pid=${state.launcher} -c +${run.offset + 1} -F ${shq(log)} 2>/dev/null`, { onStdout: take });
    await session.stream(`tail -c +${run.offset + 1} ${shq(log)}`, { onStdout: take }); // what came after tail's last look
  } catch (error) {
    if (o.signal?.aborted) return { kind: 'detached' };
    throw new ConnectionError(`${(error as Error).message} while streaming run ${run.id}; the run goes on there: \`gatebook remote attach ${run.id}\` resumes, \`gatebook remote fetch ${run.id}\` brings its evidence home`);
  } finally {
    o.signal?.removeEventListener('abort', detach);
    saveRun(root, run);
  }
  const view = await remoteView(session, run);
  return view.exit ? { kind: 'finished', exit: view.exit } : { kind: 'died' };
}

async function waitForState(session: SshSession, run: LocalRun, seconds = 30) {
  for (let i = 0; i < seconds * 5; i++) {
    const view = await remoteView(session, run);
    if (view.state) return view.state;
    if (view.phase === 'died') return null;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

export type StopOutcome = { took: 'SIGINT' | 'SIGTERM' | 'not running' | 'nothing'; exit: RunExit | null };

/** SIGINT to the run's command; SIGTERM after `graceSeconds` if it still runs; which took effect. */
export async function stopRun(session: SshSession, run: LocalRun, graceSeconds: number, log: (line: string) => void): Promise<StopOutcome> {
  const view = await remoteView(session, run);
  if (view.phase !== 'running' || !view.state) return { took: 'not running', exit: view.exit };
  for (const [signal, wait] of [['SIGINT', graceSeconds], ['SIGTERM', 10]] as const) {
    log(`sending ${signal} to run ${run.id} (pid ${view.state.pid} on ${run.host}); waiting up to ${wait} s`);
    await session.exec(`kill -${signal.slice(3)} ${view.state.pid} 2>/dev/null`);
    for (let t = 0; t < wait * 5; t++) {
      const now = await remoteView(session, run);
      if (now.phase !== 'running') return { took: signal, exit: now.exit };
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { took: 'nothing', exit: null };
}
