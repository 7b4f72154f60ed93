import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { GatebookError, InputError } from '../util/errors';

/**
 * Worker threads that hold training replicas (data parallelism on the CPU). One pool per
 * process, grown on demand and reused by every training that follows; idle workers do not
 * keep the process alive. A worker that dies fails the request it was serving — and every
 * later one — with a `TrainingWorkerError`; the pool replaces it at the next training.
 */

/** A training replica's worker died or failed: the training fails, nothing of it is saved. */
export class TrainingWorkerError extends GatebookError {}

export interface ReplicaReply {
  type: string;
  [key: string]: unknown;
}

/** One worker thread, one request at a time. */
export class Replica {
  private pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | null = null;
  private death: Error | null = null;

  constructor(readonly index: number, private readonly worker: Worker) {
    worker.on('message', (reply: ReplicaReply) => {
      const p = this.pending;
      this.pending = null;
      worker.unref();
      if (!p) return;
      if (reply.type === 'error') p.reject(new TrainingWorkerError(`training worker ${this.index}: ${String(reply.message)}`));
      else p.resolve(reply);
    });
    worker.on('error', (error) => this.die(`failed: ${error.message}`));
    worker.on('exit', (code) => this.die(`stopped (exit code ${code})`));
    worker.unref(); // idle workers do not keep the process alive (after the listeners: adding one refs the worker again)
  }

  get alive(): boolean {
    return this.death === null;
  }

  /** Send a message and wait for its reply (rejects if the worker dies first). */
  request(message: unknown, transfer: ArrayBuffer[] = []): Promise<ReplicaReply> {
    if (this.death) return Promise.reject(this.death);
    if (this.pending) return Promise.reject(new Error(`training worker ${this.index} is busy`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref(); // a request in flight keeps the process alive until its reply
      this.worker.postMessage(message, transfer);
    });
  }

  /** End the thread (a test's crash, or the pool's end). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private die(how: string): void {
    if (this.death) return;
    this.death = new TrainingWorkerError(`training worker ${this.index} ${how} — the training was stopped and nothing of it was saved; run it again (GATEBOOK_WORKERS=1 trains without workers)`);
    pool.splice(pool.indexOf(this), 1);
    this.pending?.reject(this.death);
    this.pending = null;
  }
}

const pool: Replica[] = [];
let spawned = 0;

/**
 * `count` live workers running `script` (a .js file, or a .ts file run through tsx when
 * gatebook runs from its sources). Workers that already run the script are reused.
 */
export function replicaWorkers(count: number, script: string): Replica[] {
  while (pool.length < count) {
    const worker = extname(script) === '.ts'
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true })
      : new Worker(script);
    pool.push(new Replica(++spawned, worker));
  }
  return pool.slice(0, count);
}

/** The live workers (for tests that need to kill one mid-training). */
export function liveReplicas(): readonly Replica[] {
  return pool;
}

/**
 * How many processes a training uses: `workers` from the options ('auto': the
 * `GATEBOOK_WORKERS` environment variable, else every core), 1 on backends that are
 * threaded already (tfjs-node) or that run on a GPU.
 */
export function resolveWorkers(workers: number | 'auto', backend: string): number {
  if (backend !== 'wasm' && backend !== 'cpu') return 1;
  if (workers !== 'auto') return workers;
  const env = process.env.GATEBOOK_WORKERS;
  if (env === undefined || env === '' || env === 'auto') return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`GATEBOOK_WORKERS=${env} is not a worker count: use a whole number ≥ 1 (or 'auto' for every core)`);
  return n;
}
