import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { logistic, lstm, tcn, transformer } from '../../lib/models';
import { buildLogistic } from '../../lib/models/logistic';
import { trainNetwork } from '../../lib/train/classification';
import { TrainingDivergedError } from '../../lib/train/loop';
import { TrainOptions } from '../../lib/train/options';
import { learningRateAt, PlateauTracker } from '../../lib/train/schedule';
import { clipByGlobalNorm, weightedBce } from '../../lib/train/loss';
import { toyData } from '../helpers/toy';

beforeAll(async () => {
  await selectBackend('wasm');
});

const accuracy = (p: Float32Array, labels: Float32Array, ends: Int32Array) =>
  Array.from(ends).filter((e, i) => (p[i] > 0.5 ? 1 : 0) === labels[e]).length / ends.length;

describe('training loop', () => {
  it('learns a learnable task: every family reaches high validation accuracy', async () => {
    const data = toyData(1500, 4, 8);
    const models = [logistic(), lstm({ layers: 1, units: 8, dropout: 0 }), tcn({ channels: 8, dilations: [1, 2], dropout: 0 }), transformer({ dModel: 8, heads: 2, layers: 1, ffSize: 16, pooling: 'last', dropout: 0 })];
    for (const model of models) {
      await model.fit(data, { epochs: 12, batchSize: 64, learningRate: 0.01, patience: 12 });
      const acc = accuracy(await model.predictProba(data.source, data.val), data.source.labels, data.val);
      expect(acc, model.family).toBeGreaterThan(0.9);
      const h = model.training!.history;
      expect(h.at(-1)!.loss, model.family).toBeLessThan(h[0].loss);
      model.dispose();
    }
  }, 120_000);

  it('is reproducible: same seed, same history; another seed, another', async () => {
    const data = toyData(400, 3, 5, 0.1);
    const run = async (seed: number) => {
      const m = await lstm({ layers: 1, units: 6, dropout: 0.3 }).fit(data, { epochs: 3, batchSize: 32, seed });
      const losses = m.training!.history.map((e) => [e.loss, e.valLoss]);
      m.dispose();
      return losses;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('leaks no tensors across epochs', async () => {
    const data = toyData(400, 3, 5);
    const counts: number[] = [];
    const m = await lstm({ layers: 2, units: 4, bidirectional: true }).fit(data, {
      epochs: 4, batchSize: 32, patience: 10, schedule: { kind: 'cosine' },
      callbacks: { onEpoch: () => void counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(4);
    expect(new Set(counts.slice(1)).size).toBe(1); // after the optimizer's slots exist: flat
    m.dispose();
  });

  it('stops early on a task with nothing to learn and restores the best epoch', async () => {
    const data = toyData(600, 3, 5, 0.5);
    const m = await logistic().fit(data, { epochs: 30, batchSize: 32, learningRate: 0.05, patience: 2 });
    const t = m.training!;
    expect(t.stoppedEarly).toBe(true);
    expect(t.history.length).toBeLessThan(30);
    expect(t.bestValLoss).toBe(Math.min(...t.history.map((e) => e.valLoss)));
    m.dispose();
  });

  it('stops with a diagnosis when the loss goes NaN, and saves nothing', async () => {
    const data = toyData(200, 3, 5);
    data.source.matrix[(data.train[3]) * 3] = NaN;
    const net = buildLogistic({ l2: 0 }, 3, 5, 1);
    await expect(trainNetwork(net, data, { epochs: 2, batchSize: 16 })).rejects.toThrow(TrainingDivergedError);
    await expect(trainNetwork(net, data, { epochs: 2, batchSize: 16 })).rejects.toThrow(/training diverged: loss NaN.*nothing was saved\. Lower the learning rate/);
    tf.dispose([...net.variables.values()]);
  });

  it('can be interrupted between batches', async () => {
    const data = toyData(600, 3, 5);
    let batches = 0;
    const m = await logistic().fit(data, { epochs: 5, batchSize: 16, callbacks: { onBatch: () => void batches++, shouldStop: () => batches >= 3 } });
    expect(m.training!.interrupted).toBe(true);
    expect(batches).toBe(3);
    m.dispose();
  });
});

describe('schedules, loss and clipping', () => {
  it('learning rates follow warm-up, step, cosine and plateau', () => {
    const o = (schedule: object, extra = {}) => TrainOptions.parse({ learningRate: 1, epochs: 11, schedule, ...extra });
    const p = new PlateauTracker();
    expect([0, 4, 5, 10].map((e) => learningRateAt(e, o({ kind: 'step', everyEpochs: 5, factor: 0.5 }), p))).toEqual([1, 1, 0.5, 0.25]);
    const cos = o({ kind: 'cosine', minLearningRate: 0 });
    expect(learningRateAt(0, cos, p)).toBeCloseTo(1);
    expect(learningRateAt(5, cos, p)).toBeCloseTo(0.5);
    expect(learningRateAt(10, cos, p)).toBeCloseTo(0);
    expect(learningRateAt(0, o({ kind: 'constant' }, { warmupEpochs: 2 }), p)).toBeCloseTo(0.1);
    const plateau = o({ kind: 'plateau', patience: 2, factor: 0.5, minLearningRate: 0 });
    for (const loss of [1, 0.9, 0.95, 0.95]) p.update(loss, 2, 0.5);
    expect(learningRateAt(3, plateau, p)).toBe(0.5);
  });

  it('weighted BCE equals its definition; clipping caps the global norm', async () => {
    const z = [2, -1, 0.5], y = [1, 0, 0], w = [1, 3, 2];
    const bce = (zi: number, yi: number) => -(yi * Math.log(1 / (1 + Math.exp(-zi))) + (1 - yi) * Math.log(1 - 1 / (1 + Math.exp(-zi))));
    const expected = z.reduce((s, zi, i) => s + w[i] * bce(zi, y[i]), 0) / 6;
    expect(weightedBce(tf.tensor1d(z), tf.tensor1d(y), tf.tensor1d(w)).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(weightedBce(tf.tensor1d([100]), tf.tensor1d([0])).dataSync()[0]).toBeCloseTo(100, 3); // stable for large logits
    const { grads, norm } = await clipByGlobalNorm({ a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }, 1);
    expect(norm).toBeCloseTo(5);
    expect(Array.from(grads.a.dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
  });
});
