import { Worker } from 'node:worker_threads';

/**
 * The heartbeat echo on a thread of its own (as ipykernel does): a cell that computes
 * synchronously for a long time (a causality check on a big frame, a long training step)
 * blocks the kernel's event loop, and a heartbeat answered there would make a client
 * declare the kernel dead. Resolves once the socket is bound.
 *
 * The thread ends before the process does, however the process exits (shutdown_request, a
 * cell's `process.exit(3)`): a process that exits while a worker thread holds zeromq aborts
 * ("terminate called after throwing an instance of 'Napi::Error'", zeromq.js issue #411), so
 * clients saw every shutdown as a crash and a cell's exit code as SIGABRT. At the process's
 * 'exit' event (synchronous) the thread is told to close its socket and the main thread waits
 * — Atomics.wait, at most `EXIT_WAIT_MS` — until the thread has finished.
 */
export function startHeartbeat(address: string): Promise<void> {
  const zmqPath = require.resolve('zeromq');
  const finished = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const zmq = require(${JSON.stringify(zmqPath)});
    process.on('exit', () => { Atomics.store(workerData.finished, 0, 1); Atomics.notify(workerData.finished, 0); });
    (async () => {
      const socket = new zmq.Reply();
      parentPort.on('message', (m) => { if (m === 'stop') socket.close(); });
      await socket.bind(workerData.address);
      parentPort.postMessage('bound');
      for await (const frames of socket) await socket.send(frames);
    })().catch((e) => parentPort.postMessage('error: ' + (e && e.message))).finally(() => parentPort.close());`, { eval: true, workerData: { address, finished } });
  let ended = false;
  worker.once('exit', () => { ended = true; });
  process.once('exit', () => {
    if (ended) return;
    worker.postMessage('stop');
    Atomics.wait(finished, 0, 0, EXIT_WAIT_MS);
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: string) => {
      if (m === 'bound') {
        worker.unref();
        resolve();
      } else reject(new Error(`the heartbeat socket ${address} could not be bound: ${m}`));
    });
    worker.once('error', reject);
  });
}

/** How long the exiting process waits for the heartbeat's thread (it takes ~1 ms). */
const EXIT_WAIT_MS = 1000;
