/**
 * The worker thread of data-parallel training (train/dataParallel.ts): builds the replica's
 * network from its family, params, sizes and seed, then serves gradient steps.
 */
import { serveReplica } from '../train/replicaWorker';
import { createModel } from './index';
import type { NeuralModel, ReplicaNetSpec } from './neural';

serveReplica((spec) => {
  const s = spec as ReplicaNetSpec;
  return (createModel(s.family, s.params) as NeuralModel<Record<string, unknown>>).buildNet(s.features, s.window, s.seed);
});
