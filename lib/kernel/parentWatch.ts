import { Worker } from 'node:worker_threads';

/**
 * The kernel ends when the process that started it has gone, as ipykernel's parent poller
 * does: a Jupyter server or `gatebook run` killed with SIGKILL (an OOM kill, a dropped SSH
 * session's `kill -9`) used to leave its kernel running for ever — holding GPU memory and
 * finishing the cell it ran (a training run, then its gate's record in the ledger) while the
 * user had started another run.
 *
 * The parent is `JPY_PARENT_PID` (jupyter_client sets it on Unix; `gatebook run` too). When
 * the kernel's parent at start is that process, the kernel exits once its parent changes;
 * when it is not (a wrapper between them), once it has been handed to init (pid 1) — both as
 * ipykernel. (Not "once no process has that pid": it may be another pid namespace's — a
 * kernel in a container started by a client outside.) The check runs once a second on a
 * thread of its own, so a cell that computes synchronously for an hour does not keep an
 * orphan alive: the main thread is asked to exit (its exit hooks run, status 1), and if it
 * has not within `GRACE_MS` the thread kills the process.
 */
export function watchParent(parentPid: string | undefined, log: (line: string) => void): void {
  const parent = Number(parentPid);
  if (!parentPid || !Number.isInteger(parent) || parent <= 1) return; // none named: nothing to watch (ipykernel: the same)
  const exact = process.ppid === parent;
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const { parent, exact, intervalMs, graceMs } = workerData;
    const timer = setInterval(() => {
      const now = process.ppid;
      if (exact ? now === parent : now !== 1) return;
      clearInterval(timer);
      parentPort.postMessage(now);
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs);
    }, intervalMs);`, { eval: true, workerData: { parent, exact, intervalMs: INTERVAL_MS, graceMs: GRACE_MS } });
  worker.on('message', (now: number) => {
    try {
      log(`the process that started this kernel (pid ${parent}) has ended (the kernel's parent is now pid ${now}): exiting`);
    } catch {
      // stderr was a pipe to the parent that has gone (EPIPE): there is no one to tell
    }
    process.exit(1);
  });
  worker.unref();
}

const INTERVAL_MS = 1000;
/** How long the main thread has to exit on its own before the watching thread kills the process. */
const GRACE_MS = 3000;
