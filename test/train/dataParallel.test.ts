import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { lstm, readModelDir, tcn, transformer, type NeuralModel } from '../../lib/models';
import { liveReplicas, resolveWorkers, shardsOf, TrainingWorkerError } from '../../lib/train';
import { shardGradients } from '../../lib/train/classification';
import { InputError } from '../../lib/util/errors';
import { tempDir } from '../helpers/cli';
import { toyData } from '../helpers/toy';

beforeAll(async () => {
  await selectBackend('wasm');
});

afterEach(() => {
  delete process.env.GATEBOOK_WORKERS;
});

const lossesOf = (m: { training: { history: Array<{ loss: number; valLoss: number }> } | null }) => m.training!.history.flatMap((h) => [h.loss, h.valLoss]);

describe('data-parallel training', () => {
  it('the shards\' gradients add up to the whole batch\'s, dropout masks included (lstm, tcn, transformer)', () => {
    const data = toyData(300, 3, 12);
    const rows = data.train.subarray(0, 50);
    for (const model of [lstm({ layers: 2, units: 8, dropout: 0.3 }), tcn({ channels: 8, dropout: 0.3 }), transformer({ dModel: 16, heads: 2, layers: 1, dropout: 0.3 })] as Array<NeuralModel<Record<string, unknown>>>) {
      const net = model.buildNet(3, 12, 7);
      const vars = [...net.variables.values()];
      const weights: [number, number] = [0.8, 1.3];
      const whole = rows.reduce((s, r) => s + weights[data.source.labels[r] > 0.5 ? 1 : 0], 0);
      net.randomState!.set(100);
      const one = shardGradients(net, vars, data.source, 12, rows, { offset: 0, total: rows.length }, weights, whole);
      let loss = 0;
      const sum = one.grads.map((g) => new Float64Array(g.length));
      for (const s of shardsOf(rows.length, 3)) {
        net.randomState!.set(100); // each replica starts a step from the same dropout counter
        const part = shardGradients(net, vars, data.source, 12, rows.slice(s.offset, s.offset + s.size), { offset: s.offset, total: rows.length }, weights, whole);
        loss += part.loss;
        part.grads.forEach((g, i) => g.forEach((v, k) => (sum[i][k] += v)));
      }
      expect(loss, model.family).toBeCloseTo(one.loss, 5);
      one.grads.forEach((g, i) => {
        const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
        for (let k = 0; k < g.length; k++) expect(Math.abs(sum[i][k] - g[k]) / scale, `${model.family} ${vars[i].name}[${k}]`).toBeLessThan(1e-4);
      });
      tf.dispose(vars);
    }
  });

  it('1 and 2 workers give the same history within float rounding; the same count gives the same history twice', async () => {
    const data = toyData(600, 3, 8);
    const options = { epochs: 3, patience: 5, batchSize: 64, learningRate: 0.01, seed: 4 };
    const params = { layers: 1, units: 8, dropout: 0.2 };
    const single = await lstm(params).fit(data, { ...options, workers: 1 });
    const two = await lstm(params).fit(data, { ...options, workers: 2 });
    const again = await lstm(params).fit(data, { ...options, workers: 2 });
    expect(single.training!.workers).toBe(1);
    expect(two.training!.workers).toBe(2);
    expect(lossesOf(again)).toEqual(lossesOf(two));
    const a = lossesOf(single);
    lossesOf(two).forEach((v, i) => expect(Math.abs(v - a[i]), `history value ${i}`).toBeLessThan(1e-4));
    // and the learned weights agree
    const w1 = single.weights();
    for (const [name, values] of two.weights()) values.forEach((v, k) => expect(Math.abs(v - w1.get(name)![k]), `${name}[${k}]`).toBeLessThan(1e-3));
    for (const m of [single, two, again]) m.dispose();
  });

  it('a worker that dies fails the training with a clear error, leaves the last whole checkpoint, and the next training gets a new one', async () => {
    const data = toyData(600, 3, 8);
    const dir = join(tempDir(), 'model');
    const options = { epochs: 4, patience: 5, batchSize: 64, learningRate: 0.01, seed: 4, workers: 2 };
    let killed = false;
    const run = lstm({ layers: 1, units: 8 }).fit(data, {
      ...options, checkpointDir: dir,
      callbacks: {
        onBatch: (p) => {
          if (p.epoch === 2 && p.batch === 2 && !killed) {
            killed = true;
            void liveReplicas()[0].terminate();
          }
        },
      },
    });
    await expect(run).rejects.toThrow(TrainingWorkerError);
    await expect(run).rejects.toThrow(/training worker \d+ stopped \(exit code 1\).*nothing of it was saved/);
    expect(killed).toBe(true);
    // the checkpoint is epoch 1's, whole (its sha256 checks), and no temporary folder is left
    const saved = readModelDir(dir);
    expect((saved.meta.history as unknown[]).length).toBe(1);
    expect(readdirSync(dirname(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
    const next = await lstm({ layers: 1, units: 8 }).fit(data, { ...options, epochs: 1 });
    expect(next.training!.workers).toBe(2);
    next.dispose();
  });

  it('a process that trains with workers waits for them and then exits by itself (compiled gatebook, its own worker script)', () => {
    const script = `
      const { selectBackend } = require('./dist/backend');
      const { lstm } = require('./dist/models');
      const matrix = Float32Array.from({ length: 400 * 2 }, (_, i) => Math.sin(i * 12.9898) * 2);
      const labels = Float32Array.from({ length: 400 }, (_, r) => (matrix[r * 2] > 0 ? 1 : 0));
      const ends = (a, b) => Int32Array.from({ length: b - a - 7 }, (_, i) => a + 7 + i);
      const data = { source: { matrix, features: 2, labels, rows: 400 }, window: 8, featureNames: ['a', 'b'],
        scaler: { kind: 'standard', center: [0, 0], scale: [1, 1] }, train: ends(0, 300), val: ends(300, 400), lastMove: labels };
      selectBackend('wasm').then(() => lstm({ layers: 1, units: 4 }).fit(data, { epochs: 2, batchSize: 64, workers: 2 }))
        .then((m) => console.log('trained with ' + m.training.workers + ' workers'));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('trained with 2 workers');
    expect(r.status).toBe(0);
  });

  it('counts workers: auto is GATEBOOK_WORKERS or every core; threaded backends use one; a bad count is an input error', () => {
    process.env.GATEBOOK_WORKERS = '3';
    expect(resolveWorkers('auto', 'wasm')).toBe(3);
    expect(resolveWorkers(2, 'wasm')).toBe(2);
    expect(resolveWorkers('auto', 'tensorflow')).toBe(1);
    process.env.GATEBOOK_WORKERS = 'zero';
    expect(() => resolveWorkers('auto', 'wasm')).toThrow(InputError);
    expect(() => resolveWorkers('auto', 'wasm')).toThrow(/GATEBOOK_WORKERS=zero/);
    expect(shardsOf(10, 3)).toEqual([{ offset: 0, size: 4 }, { offset: 4, size: 3 }, { offset: 7, size: 3 }]);
  });
});
