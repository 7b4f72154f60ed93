import { Worker } from 'node:worker_threads';

/** The heartbeat's thread, running until `stop` closes its socket and lets the thread end. */
export interface Heartbeat {
  /** Close the socket and wait for the thread to end (at most `waitMs`, then it is terminated). */
  stop(waitMs?: number): Promise<void>;
}

/**
 * The heartbeat echo on a thread of its own (as ipykernel does): a cell that computes
 * synchronously for a long time (a causality check on a big frame, a long training step)
 * blocks the kernel's event loop, and a heartbeat answered there would make a client
 * declare the kernel dead. Resolves once the socket is bound.
 *
 * Stop it before the process exits: a process that exits while a worker thread still holds
 * a zeromq socket aborts ("terminate called after throwing an instance of 'Napi::Error'",
 * zeromq.js issue #411) — every client then sees a kernel that died at shutdown, and the
 * abort could cut short what the client wrote to the stderr it shares with the kernel.
 */
export function startHeartbeat(address: string): Promise<Heartbeat> {
  const zmqPath = require.resolve('zeromq');
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const zmq = require(${JSON.stringify(zmqPath)});
    (async () => {
      const socket = new zmq.Reply();
      parentPort.on('message', (m) => { if (m === 'stop') socket.close(); });
      await socket.bind(workerData);
      parentPort.postMessage('bound');
      for await (const frames of socket) await socket.send(frames);
    })().catch((e) => parentPort.postMessage('error: ' + (e && e.message))).finally(() => parentPort.close());`, { eval: true, workerData: address });
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const stop = async (waitMs = 1000): Promise<void> => {
    worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), waitMs); });
    if ((await Promise.race([ended, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    worker.once('message', (m: string) => {
      if (m === 'bound') {
        worker.unref();
        resolve({ stop });
      } else reject(new Error(`the heartbeat socket ${address} could not be bound: ${m}`));
    });
    worker.once('error', reject);
  });
}
