import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../backend/select';
import { tf } from '../backend/tf';
import type { WindowSource } from '../tensors/windows';
import { evaluateRows, shardGradients } from './classification';
import type { ReplicaEvaluate, ReplicaInit, ReplicaStep } from './dataParallel';
import type { Net } from './net';
import { assignValues } from './weights';

interface Training {
  net: Net;
  variables: tf.Variable[];
  source: WindowSource;
  window: number;
  classWeights: [number, number];
  weights: Float32Array;
  grads: Float32Array;
}

/**
 * The worker side of data parallelism (train/dataParallel.ts): build the replica's net with
 * `build` on `init`, then for each `step` take the weights from shared memory, compute the
 * shard's loss and gradients and write the gradients to shared memory. Every reply is a
 * message; an error is sent back as one (the training fails with it).
 */
export function serveReplica(build: (spec: unknown) => Net): void {
  const port = parentPort;
  if (!port) throw new Error('serveReplica runs in a worker thread');
  let training: Training | null = null;
  const release = () => {
    for (const v of training?.net.variables.values() ?? []) v.dispose();
    training = null;
  };
  const loadWeights = (t: Training) => {
    let at = 0;
    for (const v of t.variables) {
      assignValues(v, t.weights.subarray(at, at + v.size));
      at += v.size;
    }
  };
  port.on('message', async (message: ReplicaInit | ReplicaStep | ReplicaEvaluate | { type: 'release' }) => {
    try {
      if (message.type === 'init') {
        await selectBackend(message.backend);
        release();
        const net = build(message.net);
        const initial = new Map(message.initial);
        for (const [name, v] of net.variables) assignValues(v, initial.get(name) ?? missing(name));
        training = {
          net, variables: message.trained.map((name) => net.variables.get(name) ?? missing(name)), source: message.source, window: message.window,
          classWeights: message.classWeights, weights: new Float32Array(message.weights), grads: new Float32Array(message.grads),
        };
        port.postMessage({ type: 'ready' });
      } else if (message.type === 'step') {
        const t = training ?? missing('the training (no init)');
        loadWeights(t);
        t.net.randomState?.set(message.dropoutSeed);
        const result = shardGradients(t.net, t.variables, t.source, t.window, message.rows, message.shard, t.classWeights, message.wholeWeight);
        let at = 0;
        for (const g of result.grads) {
          t.grads.set(g, at);
          at += g.length;
        }
        port.postMessage({ type: 'done', loss: result.loss });
      } else if (message.type === 'evaluate') {
        const t = training ?? missing('the training (no init)');
        loadWeights(t);
        port.postMessage({ type: 'evaluated', ...await evaluateRows(t.net, t.source, t.window, message.rows, message.batchSize) });
      } else {
        release();
        port.postMessage({ type: 'released' });
      }
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).stack ?? String(error) });
    }
  });
}

function missing(what: string): never {
  throw new Error(`the replica has no ${what}`);
}
