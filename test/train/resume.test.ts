import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { lstm, readModelDir } from '../../lib/models';
import { tempDir } from '../helpers/cli';
import { toyData } from '../helpers/toy';

beforeAll(async () => {
  await selectBackend('wasm');
});

const numbers = (h: Array<Record<string, number>>) => h.map((e) => [e.epoch, e.loss, e.valLoss, e.valAccuracy, e.learningRate, e.gradNorm]);

describe('resume', () => {
  it('continues exactly: the same history, best epoch and weights as a run never stopped (dropout, shuffling, Adam, plateau)', async () => {
    const data = toyData(400, 3, 8);
    const options = { epochs: 6, patience: 6, batchSize: 64, learningRate: 0.01, seed: 5, schedule: { kind: 'plateau' as const, patience: 1, factor: 0.5 } };
    const params = { layers: 1, units: 6, dropout: 0.3 };
    const whole = await lstm(params).fit(data, options);

    const dir = join(tempDir(), 'model');
    const first = await lstm(params).fit(data, { ...options, epochs: 3, checkpointDir: dir });
    first.dispose();
    expect(existsSync(join(dir, 'resume.json'))).toBe(true);
    const resumed = await lstm(params).fit(data, { ...options, checkpointDir: dir, resume: true });

    expect(numbers(resumed.training!.history as never)).toEqual(numbers(whole.training!.history as never));
    expect(resumed.training!.bestEpoch).toBe(whole.training!.bestEpoch);
    expect(resumed.training!.bestValLoss).toBe(whole.training!.bestValLoss);
    const a = whole.weights();
    for (const [name, values] of resumed.weights()) expect(Array.from(values), name).toEqual(Array.from(a.get(name)!));
    // the checkpoint folder keeps the best epoch's weights and the whole history, not only the new epochs
    const saved = readModelDir(dir);
    expect((saved.meta.history as unknown[]).length).toBe(6);
    expect(saved.meta.epoch).toBe(whole.training!.bestEpoch);
    whole.dispose();
    resumed.dispose();
  });

  it('keeps the better earlier epoch when the resumed epochs are worse', async () => {
    const data = toyData(300, 3, 8);
    const dir = join(tempDir(), 'model');
    const options = { epochs: 2, patience: 10, batchSize: 64, learningRate: 0.05, seed: 3 };
    const first = await lstm({ layers: 1, units: 4, dropout: 0 }).fit(data, { ...options, checkpointDir: dir });
    const bestBefore = first.training!.bestValLoss;
    first.dispose();
    const more = await lstm({ layers: 1, units: 4, dropout: 0 }).fit(data, { ...options, epochs: 5, learningRate: 5, checkpointDir: dir, resume: true }); // a wild LR: later epochs get worse
    expect(more.training!.bestValLoss).toBeLessThanOrEqual(bestBefore);
    expect(more.training!.history).toHaveLength(5);
    more.dispose();
  });
});
