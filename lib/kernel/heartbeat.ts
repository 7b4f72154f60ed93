import { Worker } from 'node:worker_threads';

/**
 * The heartbeat echo on a thread of its own (as ipykernel does): a cell that computes
 * synchronously for a long time (a causality check on a big frame, a long training step)
 * blocks the kernel's event loop, and a heartbeat answered there would make a client
 * declare the kernel dead. Resolves once the socket is bound; the thread ends with the process.
 */
export function startHeartbeat(address: string): Promise<Worker> {
  const zmqPath = require.resolve('zeromq');
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const zmq = require(${JSON.stringify(zmqPath)});
    (async () => {
      const socket = new zmq.Reply();
      await socket.bind(workerData);
      parentPort.postMessage('bound');
      for await (const frames of socket) await socket.send(frames);
    })().catch((e) => parentPort.postMessage('error: ' + (e && e.message)));`, { eval: true, workerData: address });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: string) => {
      if (m === 'bound') {
        worker.unref();
        resolve(worker);
      } else reject(new Error(`the heartbeat socket ${address} could not be bound: ${m}`));
    });
    worker.once('error', reject);
  });
}
