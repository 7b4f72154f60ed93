import { InputError } from '../util/errors';
import { listRuns, remoteView, type LocalRun, type RemoteView } from './runs';
import { SshSession, type SessionOptions } from './session';
import { resolveTarget, type TargetFlags } from './target';

export interface ConnectOptions extends TargetFlags, SessionOptions {}

/** Connect to a host with the flags given now over those a run was started with. */
export function connectTo(host: string, o: ConnectOptions = {}, saved: LocalRun['connect'] = {}): Promise<SshSession> {
  const given = Object.fromEntries(Object.entries({ port: o.port, user: o.user, identity: o.identity, sshConfig: o.sshConfig }).filter(([, v]) => v !== undefined));
  return SshSession.open(resolveTarget(host, { ...saved, ...given }), { knownHosts: o.knownHosts, acceptNewHostKey: o.acceptNewHostKey });
}

export interface RunStatus {
  id: string;
  host: string;
  args: string[];
  started: string;
  /** running / finished / died / starting, or unreachable (with why in `last`) */
  state: RemoteView['phase'] | 'unreachable';
  exit: { code: number | null; signal: string | null; finished: string } | null;
  elapsed_s: number;
  last: string;
  fetched: LocalRun['fetched'];
}

/** Every remote run this checkout (`root`, default the current folder) started — on `host` only, when given — as its box sees it now: one connection per host. */
export async function remoteStatus(o: ConnectOptions & { host?: string; root?: string } = {}): Promise<RunStatus[]> {
  const runs = listRuns(o.root ?? process.cwd()).filter((r) => !o.host || r.host === o.host);
  const rows: RunStatus[] = [];
  for (const host of new Set(runs.map((r) => r.host))) {
    const mine = runs.filter((r) => r.host === host);
    let session: SshSession | null = null;
    try {
      session = await connectTo(host, o, mine[0].connect);
      for (const run of mine) rows.push(statusRow(run, await remoteView(session, run)));
    } catch (error) {
      if (error instanceof InputError) throw error; // a bad key or config: said as such, not as an unreachable box
      for (const run of mine) rows.push({ ...statusRow(run, null), last: (error as Error).message });
    } finally {
      session?.close();
    }
  }
  return rows.sort((a, b) => a.started.localeCompare(b.started));
}

function statusRow(run: LocalRun, view: RemoteView | null): RunStatus {
  const start = Date.parse(view?.state?.started ?? run.started);
  const end = view?.exit ? Date.parse(view.exit.finished) : Date.now();
  return {
    id: run.id, host: run.host, args: run.args, started: run.started, state: view?.phase ?? 'unreachable', exit: view?.exit ?? null,
    elapsed_s: Math.max(0, Math.round((end - start) / 1000)), last: view?.lastLine ?? '', fetched: run.fetched,
  };
}
