import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import type { RunExit, RunState } from './launcher';
import { REMOTE_STATE } from './projectSync';
import { shq, type SshSession } from './session';

/**
 * Remote runs as this checkout knows them (`.gatebook/remote/<run>.json`: where, what, how
 * far the terminal has read its log, what was fetched) and as the box knows them
 * (`<workdir>/.gatebook/runs/<run>/`: `log`, `state.json`, `exit.json`).
 */
export const LocalRun = z.object({
  id: z.string(),
  host: z.string(),
  /** The connection flags given at `remote run` (port, user, key, ssh config), reused by attach, status, stop and fetch. */
  connect: z.object({ port: z.number().int().optional(), user: z.string().optional(), identity: z.string().optional(), sshConfig: z.string().optional() }),
  workdir: z.string(),
  args: z.array(z.string()),
  ledger: z.string(),
  started: z.string(),
  offset: z.number().int().nonnegative(),
  fetched: z.object({ at: z.string(), records: z.number().int() }).nullable(),
});
export type LocalRun = z.infer<typeof LocalRun>;

const folder = (root: string) => join(root, REMOTE_STATE, 'remote');

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

export function saveRun(root: string, run: LocalRun): void {
  writeFileAtomic(join(folder(root), `${run.id}.json`), JSON.stringify(run, null, 2) + '\n');
}

export function listRuns(root: string): LocalRun[] {
  if (!existsSync(folder(root))) return [];
  return readdirSync(folder(root)).filter((f) => f.endsWith('.json')).map((f) => LocalRun.parse(JSON.parse(readFileSync(join(folder(root), f), 'utf8'))))
    .sort((a, b) => a.started.localeCompare(b.started));
}

/** A run by its id or a unique prefix of it; `last` (or nothing given) is the latest. */
export function findRun(root: string, id = 'last'): LocalRun {
  const runs = listRuns(root);
  if (!runs.length) throw new InputError(`no remote runs recorded in ${folder(root)}: start one with \`gatebook remote run <host> -- <gatebook args>\``);
  if (id === 'last') return runs.at(-1)!;
  const hits = runs.filter((r) => r.id.startsWith(id));
  if (hits.length === 1) return hits[0];
  throw new InputError(hits.length ? `run ${id} is ambiguous: ${hits.map((r) => r.id).join(', ')}` : `no remote run ${id} (known: ${runs.slice(-5).map((r) => r.id).join(', ')}; \`gatebook remote status\` lists them)`);
}

export const runDirOf = (run: Pick<LocalRun, 'workdir' | 'id'>) => `${run.workdir}/${REMOTE_STATE}/runs/${run.id}`;

export type RunPhase = 'starting' | 'running' | 'finished' | 'died';
export interface RemoteView { phase: RunPhase; state: RunState | null; exit: RunExit | null; lastLine: string }

/** What the box says of a run: running (its launcher lives), finished (exit.json), died (neither), and its last progress line. */
export async function remoteView(session: SshSession, run: LocalRun): Promise<RemoteView> {
  const dir = runDirOf(run);
  const out = await session.exec(`cd ${shq(dir)} 2>/dev/null || exit 9; cat state.json 2>/dev/null; echo '\u0001'; cat exit.json 2>/dev/null; echo '\u0001'; ` +
    `p=$(sed -n 's/.*"launcher": *\\([0-9]*\\).*/\\1/p' state.json 2>/dev/null); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo alive; echo '\u0001'; tail -c 4096 log 2>/dev/null`);
  if (out.code === 9) return { phase: 'died', state: null, exit: null, lastLine: `no run folder ${dir} on the box` };
  const [stateText, exitText, alive, tail] = out.stdout.split('\u0001\n');
  const state = stateText.trim() ? (JSON.parse(stateText) as RunState) : null;
  const exit = exitText.trim() ? (JSON.parse(exitText) as RunExit) : null;
  const lastLine = (tail ?? '').split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  const phase: RunPhase = exit ? 'finished' : alive?.trim() === 'alive' ? 'running' : state ? 'died' : 'starting';
  return { phase, state, exit, lastLine };
}
