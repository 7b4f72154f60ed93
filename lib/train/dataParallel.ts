import { tf } from '../backend/tf';
import type { WindowSource } from '../tensors/windows';
import type { BatchShard } from './net';
import { replicaWorkers, type Replica } from './replicas';

/**
 * Data parallelism for one training: the batch's rows are split into shards, this thread
 * computes the first and each worker replica one of the others; the shards' losses are
 * their shares of the whole batch's loss, so their gradients add up (in a fixed order) to
 * the whole batch's gradient. The optimizer step is taken once, here, and its result is what
 * every replica computes with next: the replicas hold the same weights at every step, and the
 * same seed with the same number of processes gives the same history.
 *
 * Weights travel to the replicas, and gradients back, through shared memory
 * (SharedArrayBuffer); a step's messages carry only the shard's window rows.
 */

/** Shards smaller than this are not worth a thread: a small batch uses fewer processes. */
export const MIN_SHARD_ROWS = 16;

/** What a replica worker is sent once per training. */
export interface ReplicaInit {
  type: 'init';
  /** the backend this thread trains on (the replicas use the same) */
  backend: string;
  /** what the worker script needs to build the same network (family, params, sizes, seed) */
  net: unknown;
  /** the trained variables' names, in the loop's order */
  trained: string[];
  /** every variable's starting values (frozen ones included) */
  initial: Array<[string, Float32Array]>;
  source: WindowSource;
  window: number;
  classWeights: [number, number];
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

/** A share of the validation windows for a replica (the weights are in shared memory). */
export interface ReplicaEvaluate {
  type: 'evaluate';
  rows: Int32Array;
  batchSize: number;
}

/** One step's shard for a replica. */
export interface ReplicaStep {
  type: 'step';
  rows: Int32Array;
  shard: BatchShard;
  wholeWeight: number;
  dropoutSeed: number;
}

export interface ShardResult {
  loss: number;
  grads: Float32Array[];
}

export interface ParallelOptions {
  /** processes in all, this thread included */
  processes: number;
  /** the worker script (models/trainingWorker) */
  script: string;
  net: unknown;
  backend: string;
}

export class DataParallel {
  private constructor(
    private readonly replicas: Replica[],
    private readonly variables: tf.Variable[],
    private readonly weights: Float32Array,
    private readonly grads: Float32Array[],
  ) {}

  /** Start `processes − 1` replicas of the net whose trained variables are `variables` (all: every variable). */
  static async start(o: ParallelOptions, variables: tf.Variable[], all: Map<string, tf.Variable>, source: WindowSource, window: number, classWeights: [number, number]): Promise<DataParallel> {
    const size = variables.reduce((s, v) => s + v.size, 0);
    const shared = {
      matrix: sharedCopy(source.matrix),
      labels: sharedCopy(source.labels),
    };
    const weights = new Float32Array(new SharedArrayBuffer(size * 4));
    const replicas = replicaWorkers(o.processes - 1, o.script);
    const grads = replicas.map(() => new Float32Array(new SharedArrayBuffer(size * 4)));
    const initial = [...all].map(([name, v]) => [name, Float32Array.from(v.dataSync())] as [string, Float32Array]);
    const trained = [...all].filter(([, v]) => variables.includes(v)).map(([name]) => name);
    await Promise.all(replicas.map((r, i) => r.request({
      type: 'init', backend: o.backend, net: o.net, trained, initial,
      source: { ...source, ...shared }, window, classWeights, weights: weights.buffer as SharedArrayBuffer, grads: grads[i].buffer as SharedArrayBuffer,
    } satisfies ReplicaInit)));
    return new DataParallel(replicas, variables, weights, grads);
  }

  /** processes in all, this thread included */
  get processes(): number {
    return this.replicas.length + 1;
  }

  /**
   * The whole batch's loss and gradients (flat, in the variables' order): `rows` split into
   * shards, the first computed here by `local`, the others by the replicas.
   */
  async gradients(rows: Int32Array, wholeWeight: number, dropoutSeed: number, local: (rows: Int32Array, shard: BatchShard) => ShardResult): Promise<ShardResult> {
    const shards = shardsOf(rows.length, Math.min(this.processes, Math.max(1, Math.floor(rows.length / MIN_SHARD_ROWS))));
    this.publishWeights();
    const total = rows.length;
    const pending = shards.slice(1).map((s, i) => this.replicas[i].request({
      type: 'step', rows: rows.slice(s.offset, s.offset + s.size), shard: { offset: s.offset, total }, wholeWeight, dropoutSeed,
    } satisfies ReplicaStep));
    let mine: ShardResult;
    try {
      mine = local(rows.subarray(0, shards[0].size), { offset: 0, total });
    } catch (error) {
      await Promise.allSettled(pending); // leave no worker mid-step
      throw error;
    }
    const replies = await Promise.all(pending);
    let loss = mine.loss;
    replies.forEach((reply, i) => {
      loss += reply.loss as number;
      let at = 0;
      for (const g of mine.grads) {
        const theirs = this.grads[i];
        for (let k = 0; k < g.length; k++) g[k] += theirs[at + k];
        at += g.length;
      }
    });
    return { loss, grads: mine.grads };
  }

  /**
   * Validation over every process: `rows` in contiguous shares, the first evaluated here by
   * `local`, the others by the replicas on the current weights; the sums of the loss and of
   * the right answers.
   */
  async evaluate(rows: Int32Array, batchSize: number, local: (rows: Int32Array) => Promise<{ lossSum: number; hits: number }>): Promise<{ lossSum: number; hits: number }> {
    const shards = shardsOf(rows.length, Math.min(this.processes, Math.max(1, Math.floor(rows.length / MIN_SHARD_ROWS))));
    this.publishWeights();
    const pending = shards.slice(1).map((s, i) => this.replicas[i].request({ type: 'evaluate', rows: rows.slice(s.offset, s.offset + s.size), batchSize } satisfies ReplicaEvaluate));
    let mine: { lossSum: number; hits: number };
    try {
      mine = await local(rows.subarray(0, shards[0].size));
    } catch (error) {
      await Promise.allSettled(pending);
      throw error;
    }
    const replies = await Promise.all(pending);
    return replies.reduce((sum, r) => ({ lossSum: sum.lossSum + (r.lossSum as number), hits: sum.hits + (r.hits as number) }), mine);
  }

  /** The trained variables' current values into shared memory, where the replicas read them. */
  private publishWeights(): void {
    let offset = 0;
    for (const v of this.variables) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
  }

  /** Let the replicas free their nets (the workers stay for the next training). */
  async release(): Promise<void> {
    await Promise.allSettled(this.replicas.filter((r) => r.alive).map((r) => r.request({ type: 'release' })));
  }
}

/** `n` rows in `parts` contiguous shards, sizes differing by at most one. */
export function shardsOf(n: number, parts: number): Array<{ offset: number; size: number }> {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  const out: Array<{ offset: number; size: number }> = [];
  let offset = 0;
  for (let i = 0; i < parts; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push({ offset, size });
    offset += size;
  }
  return out;
}

function sharedCopy(values: Float32Array): Float32Array {
  const copy = new Float32Array(new SharedArrayBuffer(values.length * 4));
  copy.set(values);
  return copy;
}
