import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelCommand } from '../kernel/kernelspec';
import { findKernelspec, lookupKernelspec, type Kernelspec } from './kernelspecs';

export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  key: string;
  signature_scheme: 'hmac-sha256';
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

export interface LaunchedKernel {
  connection: ConnectionInfo;
  process: ChildProcess;
  /** Last lines the kernel wrote to stderr (for a dead kernel's report). */
  stderrTail: () => string;
  /** Called once the kernel has answered: the engine drops what only its start needed. */
  started?: () => void;
}

/** How a kernel is launched: small pluggable pieces, as papermill's engines. */
export type Engine = (kernelName: string, cwd: string) => Promise<LaunchedKernel>;
const ENGINES = new Map<string, Engine>();

export function registerEngine(name: string, engine: Engine): void {
  ENGINES.set(name, engine);
}

export function getEngine(name: string): Engine {
  const engine = ENGINES.get(name);
  if (!engine) throw new Error(`no notebook engine ${name} (registered: ${[...ENGINES.keys()].join(', ')})`);
  return engine;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** This installation's own kernel, for `gatebook` when no kernelspec of that name is installed (a fresh clone). */
function ownKernel(): Kernelspec {
  return { name: 'gatebook', dir: '', argv: kernelCommand('{connection_file}'), env: {} };
}

/**
 * The default engine: the kernelspec's argv with a fresh connection file on loopback. The
 * `gatebook` kernel needs no installing: without an installed kernelspec of that name the
 * runner starts this installation's kernel itself.
 */
registerEngine('kernelspec', async (kernelName, cwd) => {
  const spec = lookupKernelspec(kernelName) ?? (kernelName === 'gatebook' ? ownKernel() : findKernelspec(kernelName));
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const connection: ConnectionInfo = {
    transport: 'tcp', ip: '127.0.0.1', key: randomBytes(32).toString('hex'), signature_scheme: 'hmac-sha256',
    shell_port: ports[0], iopub_port: ports[1], stdin_port: ports[2], control_port: ports[3], hb_port: ports[4],
  };
  const dir = mkdtempSync(join(tmpdir(), 'gatebook-run-'));
  const file = join(dir, 'connection.json');
  writeFileSync(file, JSON.stringify(connection), { mode: 0o600 });
  const argv = spec.argv.map((a) => a.replace('{connection_file}', file));
  const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...spec.env, JPY_PARENT_PID: String(process.pid) }, stdio: ['ignore', 'ignore', 'pipe'] }); // the kernel ends if this process is killed (kernel/parentWatch.ts)
  removeWhenGone(dir, child);
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  // the connection file is read once, at the kernel's start: it goes as soon as the kernel has
  // answered, so a runner killed later (SIGKILL: no exit hook) leaves no key on disk
  return { connection, process: child, stderrTail: () => tail, started: () => remove(dir) };
});

/** Connection folders of kernels still running, removed at the latest when this process exits. */
const connectionDirs = new Set<string>();
let removingAtExit = false;

/**
 * The connection file (its key signs every message) goes once the kernel has answered
 * (`started`), and at the latest with its kernel: its folder is removed when the kernel exits
 * or cannot start, or when this process exits first (a SIGKILLed kernel's exit event may come
 * after the runner has finished).
 */
function removeWhenGone(dir: string, child: ChildProcess): void {
  if (!removingAtExit) process.once('exit', () => connectionDirs.forEach(remove));
  removingAtExit = true;
  connectionDirs.add(dir);
  child.once('exit', () => remove(dir));
  child.once('error', () => remove(dir));
}

function remove(dir: string): void {
  connectionDirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a folder that cannot go (permissions changed under it) must not fail the run; the system's tmp cleaning takes it
  }
}
