import type { ChildProcess } from 'node:child_process';

/**
 * Send `signal` to a child process only when it started and has not ended; whether it was sent.
 *
 * Node's `ChildProcess.kill()` on a child whose spawn failed (a missing program: ENOENT), when
 * called before the 'error' event has been delivered, signals the pid libuv's handle holds for
 * the failed spawn, not a child: on Node 20 here that was this process's whole process group
 * (the shell, npm and CI runner around it: exit 143). A test of the GPU sampler without
 * nvidia-smi did exactly that and ended CI runs mid-suite.
 */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return false;
  return child.kill(signal);
}
