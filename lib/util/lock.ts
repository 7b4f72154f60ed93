import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { writeError } from './disk';
import { hostname } from 'node:os';
import { GatebookError } from './errors';

/** Who holds a lock: enough for a person to find the process, and a token only the holder knows. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  purpose: string;
  token: string;
}

export interface LockOptions {
  /** What the lock protects, for messages ("the ledger", "a pipeline run"). */
  purpose: string;
  /** How long to wait for a holder (ms); 0 refuses at once. Default: as long as the holder lives. */
  waitMs?: number;
  /** Said once when the wait passes `noticeMs` (default 1 s): who holds it. */
  onWait?: (owner: LockOwner) => void;
  noticeMs?: number;
  /** A holder on another host that has not refreshed its lock for this long is presumed dead (default 10 min). */
  staleMs?: number;
}

/** The lock is held by a live process and the caller would not wait (or waited long enough). */
export class LockHeldError extends GatebookError {
  constructor(readonly owner: LockOwner, what: string) {
    super(`${what} is held by pid ${owner.pid} on ${owner.host} since ${owner.started} (${owner.purpose})`);
  }
}

export interface Lock {
  owner: LockOwner;
  /** True while the lock directory still names this holder (a takeover would have replaced it). */
  stillHeld(): boolean;
  release(): void;
}

/** Tokens of locks held by this process and its ancestors (a notebook kernel started by a locked run may enter). */
const INHERITED = 'GATEBOOK_HELD_LOCKS';

/**
 * A lock on `path` (a directory `<path>.lock` with its owner inside), safe across processes
 * on one host and across hosts on a shared filesystem. A holder on this host is never
 * declared stale while its process lives — stopped (SIGSTOP, a frozen VM) or not — so a
 * paused writer can never be overtaken; a holder whose process is gone is taken over at once,
 * atomically (rename), by exactly one waiter. A holder on another host counts as gone when
 * it has not refreshed its lock for `staleMs`. A process that inherits the holder's token
 * (`GATEBOOK_HELD_LOCKS`, set by `shareWithChildren`) enters without waiting.
 */
export async function acquireLock(path: string, o: LockOptions): Promise<Lock> {
  const dir = `${path}.lock`;
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), purpose: o.purpose, token: randomBytes(12).toString('hex') };
  const inherited = (process.env[INHERITED] ?? '').split(',').filter(Boolean);
  const startedWaiting = Date.now();
  let noticed = false;
  for (let attempt = 0; ; attempt++) {
    // the mkdir is the claim: only the process that made the folder writes its name into it
    let made = false;
    try {
      mkdirSync(dir);
      made = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(error, dir);
    }
    if (made) {
      try {
        writeFileSync(`${dir}/owner.json`, JSON.stringify(owner));
      } catch (error) {
        rmSync(dir, { recursive: true, force: true }); // a full disk leaves no lock behind
        throw writeError(error, `${dir}/owner.json`);
      }
      return held(dir, owner);
    }
    const current = readOwner(dir);
    if (current && inherited.includes(current.token)) return { owner: current, stillHeld: () => readOwner(dir)?.token === current.token, release: () => {} };
    if (isStale(dir, current, o.staleMs ?? 600_000)) {
      takeOver(dir, current?.token ?? null);
      continue;
    }
    const waited = Date.now() - startedWaiting;
    if (current && waited >= (o.waitMs ?? Infinity)) throw new LockHeldError(current, `the lock on ${path}`);
    if (current && !noticed && waited >= (o.noticeMs ?? 1000)) {
      noticed = true;
      o.onWait?.(current);
    }
    await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt) * (0.5 + Math.random())));
  }
}

/** Let child processes (a notebook kernel) enter the locks this process holds. */
export function shareWithChildren(lock: Lock): void {
  const tokens = new Set((process.env[INHERITED] ?? '').split(',').filter(Boolean));
  tokens.add(lock.owner.token);
  process.env[INHERITED] = [...tokens].join(',');
}

/** The live holder of the lock on `path`, or null when none holds it (or its holder is gone). */
export function liveHolder(path: string, staleMs = 600_000): LockOwner | null {
  const dir = `${path}.lock`;
  const owner = readOwner(dir);
  return owner && !isStale(dir, owner, staleMs) ? owner : null;
}

function held(dir: string, owner: LockOwner): Lock {
  // a holder on a shared filesystem says it is alive by touching its owner file
  const refresh = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(`${dir}/owner.json`, now, now);
    } catch { /* released or taken over */ }
  }, 30_000);
  refresh.unref();
  let released = false;
  return {
    owner,
    stillHeld: () => readOwner(dir)?.token === owner.token,
    release() {
      if (released) return;
      released = true;
      clearInterval(refresh);
      if (readOwner(dir)?.token === owner.token) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readOwner(dir: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(`${dir}/owner.json`, 'utf8')) as LockOwner;
  } catch {
    return null; // being created, or just released
  }
}

function isStale(dir: string, owner: LockOwner | null, staleMs: number): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(owner ? `${dir}/owner.json` : dir).mtimeMs;
  } catch {
    return false; // released meanwhile: the next mkdir decides
  }
  if (!owner) return age > 5_000; // a holder that died between mkdir and writing its name
  if (owner.host === hostname()) return !processAlive(owner.pid);
  return age > staleMs;
}

/**
 * Whether a process of this machine lives (EPERM: it does, owned by another user). Only a
 * positive pid names one process: kill(0) and kill(-n) ask about process groups (an owner file
 * edited to pid 0 would have read as alive for ever).
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Move a dead holder's lock aside (atomic: of several waiters, one wins) and remove it. If
 * what was moved is no longer the dead holder's (another waiter took over and a live holder
 * came in between), put it back; should that fail, the live holder sees it lost the lock
 * (`stillHeld`) before it writes anything.
 */
function takeOver(dir: string, deadToken: string | null): void {
  const aside = `${dir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(dir, aside);
  } catch {
    return; // another waiter took it over first
  }
  const moved = readOwner(aside);
  if (moved && moved.token !== deadToken) {
    try {
      renameSync(aside, dir);
      return;
    } catch { /* someone locked it meanwhile */ }
  }
  rmSync(aside, { recursive: true, force: true });
}
