import type { Command } from 'commander';
import { connectTo, fetchRemote, fetchRun, findRun, homeOf, remoteStatus, shutdownBox, startRun, stopRun, streamRun, type FetchReport, type LocalRun, type SshSession, type StreamEnd } from '../remote';
import { CheckFailedError, InputError } from '../util/errors';
import { action, intOption } from './action';

interface ConnectFlags { port?: number; user?: string; identity?: string; sshConfig?: string; knownHosts?: string; acceptNewHostKey?: boolean }
interface HomeFlags { artifacts?: string; ledger?: string; all?: boolean }

const withConnect = (c: Command) => c
  .option('--port <n>', 'SSH port (default: from ~/.ssh/config, else 22)', intOption('--port'))
  .option('--user <name>', 'login user (default: from ~/.ssh/config, else yours)')
  .option('-i, --identity <key>', 'private key file (default: IdentityFile from ~/.ssh/config, else ~/.ssh/id_ed25519|id_ecdsa|id_rsa; ssh-agent is used too); an encrypted key takes GATEBOOK_SSH_PASSPHRASE')
  .option('--ssh-config <file>', 'the ssh config for host aliases (default: GATEBOOK_SSH_CONFIG, else ~/.ssh/config)')
  .option('--known-hosts <file>', 'the known_hosts file host keys are checked against (default: GATEBOOK_KNOWN_HOSTS, else ~/.ssh/known_hosts)')
  .option('--accept-new-host-key', 'accept a host key not in known_hosts once, and record it (a changed key is always refused)');

const withHome = (c: Command) => c
  .option('--ledger <file>', 'the local ledger the records join (default: the run\'s ledger path on the box, here: artifacts/gates.jsonl, or the experiment\'s for `exp run`)')
  .option('--artifacts <dir>', 'where fetched artifacts land, under remote/<host>/ (default: the ledger\'s folder)')
  .option('--all', 'every record of the box\'s ledger not merged yet, not only those the run appended');

const out = (line: string) => process.stderr.write(`${line}\n`);

const open = connectTo;

/** Ctrl-C while streaming detaches (the run goes on); the returned signal aborts the stream. */
function detachOnInterrupt(): AbortController {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return controller;
}

async function follow(session: SshSession, run: LocalRun): Promise<StreamEnd> {
  const controller = detachOnInterrupt();
  const end = await streamRun(session, process.cwd(), run, { write: (b) => process.stdout.write(b), signal: controller.signal });
  if (end.kind === 'detached') out(`\ndetached from run ${run.id}; it goes on on ${run.host}: \`gatebook remote attach ${run.id}\` to watch, \`gatebook remote fetch ${run.id}\` when it is done`);
  if (end.kind === 'finished') out(`run ${run.id} finished on ${run.host}: ${end.exit.signal ? `killed by ${end.exit.signal}` : `exit ${end.exit.code}`}`);
  if (end.kind === 'died') out(`run ${run.id} died on ${run.host} without an exit status (the box rebooted, or its launcher was killed); \`gatebook remote fetch ${run.id}\` brings home what it recorded`);
  return end;
}

function fetched(ledger: string, r: FetchReport): FetchReport {
  out(`merged ${r.merged} record(s) (${r.skipped} already here), ${r.files} artifact file(s), ${r.bytes} bytes, each matching its sha256; ${ledger} verifies`);
  return r;
}

async function fetchHome(session: SshSession, run: LocalRun, f: HomeFlags): Promise<FetchReport> {
  const home = homeOf(run, f);
  out(`fetching run ${run.id} from ${run.host} into ${home.ledger}`);
  return fetched(home.ledger, await fetchRun(session, run, { root: process.cwd(), ...home, all: f.all, log: out }));
}

const exitOf = (end: StreamEnd) => (end.kind === 'finished' ? (end.exit.code ?? 1) : end.kind === 'died' ? 1 : 0);

/** `gatebook remote run|attach|status|stop|fetch`: gatebook on a rented box over SSH (docs/remote.md). */
export function registerRemote(program: Command): void {
  const remote = program.command('remote').description('run gatebook on a remote box over SSH — sync, run detached, stream, stop, and fetch the ledger records and artifacts home, verified (docs/remote.md)');
  withHome(withConnect(remote.command('run <host> [args...]')))
    .usage('<host> [options] -- <gatebook args>')
    .description('sync this checkout to the box (only changed files, by sha256), npm ci there when the lockfile changed, start `gatebook <args>` detached, and stream its output (Ctrl-C detaches; the run goes on)')
    .option('--workdir <dir>', 'the project folder on the box', '/workspace/gatebook')
    .option('--install <when>', 'npm ci on the box: auto (when the lockfile changed), always, never', 'auto')
    .option('--detach', 'start and return at once, without streaming')
    .option('--fetch', 'when the run finishes, fetch its records and artifacts home')
    .option('--shutdown-after', 'after a successful, verified fetch (implies --fetch), stop the box with --shutdown-command')
    .option('--shutdown-command <cmd>', 'how the box is stopped (run on it)', process.env.GATEBOOK_REMOTE_SHUTDOWN ?? 'shutdown -h now')
    .action(action(async (host: string, args: string[], f: ConnectFlags & HomeFlags & { workdir: string; install: string; detach?: boolean; fetch?: boolean; shutdownAfter?: boolean; shutdownCommand: string }) => {
      if (!['auto', 'always', 'never'].includes(f.install)) throw new InputError(`invalid --install: ${f.install} (expected auto, always or never)`);
      if (f.detach && (f.fetch || f.shutdownAfter)) throw new InputError('--detach returns at once: --fetch and --shutdown-after need the run to finish here (fetch later with `gatebook remote fetch`)');
      const session = await open(host, f);
      try {
        const connect = { port: f.port, user: f.user, identity: f.identity, sshConfig: f.sshConfig };
        const run = await startRun(session, { root: process.cwd(), workdir: f.workdir, args, connect, install: f.install as 'auto', log: out, onInstallOutput: (b) => process.stderr.write(b) });
        if (f.detach) return 0;
        const end = await follow(session, run);
        if (end.kind === 'detached' || !(f.fetch || f.shutdownAfter)) return exitOf(end);
        await fetchHome(session, run, f);
        if (f.shutdownAfter && exitOf(end) === 0) await shutdownBox(session, f.shutdownCommand, out);
        else if (f.shutdownAfter) out(`not stopping ${host}: the run did not succeed (exit ${exitOf(end)}); look at it before the box goes`);
        return exitOf(end);
      } finally {
        session.close();
      }
    }));
  withConnect(remote.command('attach [run]'))
    .description('stream a run\'s output from where this terminal left off until it ends (Ctrl-C detaches again); run: an id, a prefix, or the latest')
    .action(action(async (id: string | undefined, f: ConnectFlags) => {
      const run = findRun(process.cwd(), id);
      const session = await open(run.host, f, run.connect);
      try {
        return exitOf(await follow(session, run));
      } finally {
        session.close();
      }
    }));
  withConnect(remote.command('status'))
    .description('the remote runs this checkout started: state (running / finished with its exit code / died), host, command, start, elapsed, last progress line')
    .option('--host <host>', 'only runs on this host')
    .option('--json', 'as JSON')
    .action(action(async (f: ConnectFlags & { host?: string; json?: boolean }) => {
      const rows = await remoteStatus(f);
      if (f.json) {
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      if (!rows.length) console.log('no remote runs recorded here: start one with `gatebook remote run <host> -- <gatebook args>`');
      for (const r of rows) {
        const state = r.state === 'finished' ? `finished, ${r.exit!.signal ? `killed by ${r.exit!.signal}` : `exit ${r.exit!.code}`}` : r.state;
        console.log(`${r.id}  ${r.host}  ${state}  started ${r.started.slice(0, 19)}Z  ${elapsed(r.elapsed_s)}  gatebook ${r.args.join(' ')}${r.fetched ? '  (fetched)' : ''}`);
        if (r.last) console.log(`    ${r.last.slice(0, 160)}`);
      }
      return 0;
    }));
  withConnect(remote.command('stop [run]'))
    .description('stop a run: SIGINT (it stops at its next batch and records the gate as interrupted), then SIGTERM after the grace period; says which took effect')
    .option('--grace <s>', 'seconds to wait after SIGINT before SIGTERM', intOption('--grace'), 30)
    .action(action(async (id: string | undefined, f: ConnectFlags & { grace: number }) => {
      const run = findRun(process.cwd(), id);
      const session = await open(run.host, f, run.connect);
      try {
        const r = await stopRun(session, run, f.grace, out);
        if (r.took === 'not running') console.log(`run ${run.id} is not running${r.exit ? ` (finished: exit ${r.exit.code ?? r.exit.signal})` : ''}; nothing sent`);
        else if (r.took === 'nothing') throw new CheckFailedError(`run ${run.id} still runs after SIGINT and SIGTERM: log in and kill it (\`kill -9\`)`);
        else console.log(`${r.took} took effect: run ${run.id} ended (${r.exit?.signal ? `killed by ${r.exit.signal}` : `exit ${r.exit?.code}`})`);
        return 0;
      } finally {
        session.close();
      }
    }));
  withHome(withConnect(remote.command('fetch [run]')))
    .description('bring a run\'s ledger records home (the box\'s chain verified first; records already here skipped; each record\'s host and run in its provenance) with the artifacts they name, each checked against its sha256')
    .option('--shutdown-after', 'after a successful, verified fetch, stop the box with --shutdown-command')
    .option('--shutdown-command <cmd>', 'how the box is stopped (run on it)', process.env.GATEBOOK_REMOTE_SHUTDOWN ?? 'shutdown -h now')
    .action(action(async (id: string | undefined, f: ConnectFlags & HomeFlags & { shutdownAfter?: boolean; shutdownCommand: string }) => {
      const run = findRun(process.cwd(), id);
      const home = homeOf(run, f);
      out(`fetching run ${run.id} from ${run.host} into ${home.ledger}`);
      const { report, session } = await fetchRemote(run.id, { ...f, ...home, log: out });
      try {
        fetched(home.ledger, report);
        if (f.shutdownAfter) await shutdownBox(session, f.shutdownCommand, out);
        return 0;
      } finally {
        session.close();
      }
    }));
}

function elapsed(s: number): string {
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
