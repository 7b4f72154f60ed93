import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { makeMask, PretrainOptions, pretrainEncoder } from '../../lib/models/pretrain';
import { finetuneFromEncoder, FinetuneOptions } from '../../lib/models/finetune';
import type { PreparedData } from '../../lib/tensors/prepare';
import { Random } from '../../lib/util/random';
import { accuracyOf } from '../../lib/eval/evaluate';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Smooth sine features (masked steps can be inferred from their neighbours); label: feature 0 rising at the end. */
function smoothData(rows = 900, features = 2, window = 12): PreparedData {
  const r = new Random(3);
  const matrix = new Float32Array(rows * features);
  for (let t = 0; t < rows; t++) for (let f = 0; f < features; f++) matrix[t * features + f] = Math.sin(t / (4 + 3 * f)) + 0.05 * r.normal();
  const labels = Float32Array.from({ length: rows }, (_, t) => (t > 0 && matrix[t * features] > matrix[(t - 1) * features] ? 1 : 0));
  const ends = (a: number, b: number) => Int32Array.from({ length: b - a - window + 1 }, (_, i) => a + window - 1 + i);
  return {
    source: { matrix, features, labels, rows }, window, featureNames: ['a', 'b'],
    scaler: { kind: 'standard', center: [0, 0], scale: [1, 1] },
    train: ends(0, 700), val: ends(700, rows), lastMove: new Float32Array(rows),
  };
}

describe('masks', () => {
  it('cover about the ratio; patches are contiguous runs', () => {
    const o = PretrainOptions.parse({ maskRatio: 0.25, maskStrategy: 'random' });
    const m = makeMask(400, 40, o, new Random(1));
    expect(m.reduce((a, b) => a + b, 0) / m.length).toBeCloseTo(0.25, 1);
    const p = makeMask(50, 40, { ...o, maskStrategy: 'patch', patchLength: 5 }, new Random(2));
    for (let b = 0; b < 50; b++) {
      const row = Array.from(p.subarray(b * 40, (b + 1) * 40));
      expect(row.reduce((a, c) => a + c, 0)).toBe(10); // round(0.25 × 40)
      const runs = row.map((v, i) => (v === 1 && row[i - 1] !== 1 ? 1 : 0)).reduce((a, c) => a + c, 0);
      expect(runs).toBeLessThanOrEqual(2 + 1); // 10 steps in patches of 5: two runs, three if one was cut
    }
  });
});

describe('masked pretraining and fine-tuning', () => {
  it('reconstructs masked steps better than predicting the centre, and fine-tuning starts from the encoder', async () => {
    const data = smoothData();
    const result = await pretrainEncoder(data, { units: 8, epochs: 6, learningRate: 0.01, maskStrategy: 'random', maskRatio: 0.2, seed: 1 });
    expect(result.bestValLoss).toBeLessThan(0.5 * result.zeroValLoss);
    expect([...result.encoder.keys()].sort()).toEqual(['lstm0_bw_bias', 'lstm0_bw_kernel', 'lstm0_bw_recurrent', 'lstm0_fw_bias', 'lstm0_fw_kernel', 'lstm0_fw_recurrent']);
    // phase 1 alone (epochs 1 of phase 2 is still training): check the frozen encoder via a head-only fit
    const { LstmModel } = await import('../../lib/models');
    const frozen = new LstmModel({ layers: 1, units: 8, bidirectional: true, dropout: 0 });
    await frozen.fit(data, { init: result.encoder, trainable: (n) => !n.startsWith('lstm'), epochs: 2, learningRate: 0.01 });
    const after = frozen.weights();
    for (const [name, values] of result.encoder) expect(Array.from(after.get(name)!)).toEqual(Array.from(values));
    expect(Array.from(after.get('head_kernel')!).some((v) => v !== 0)).toBe(true);
    frozen.dispose();
    const tuned = await finetuneFromEncoder(data, {
      encoder: result.encoder, pretrain: { units: 8, layers: 1 }, seed: 1,
      finetune: FinetuneOptions.parse({ headEpochs: 2, epochs: 6, learningRate: 0.01, lrFactor: 0.5, dropout: 0 }),
    });
    const changed = tuned.weights().get('lstm0_fw_kernel')!;
    expect(Array.from(changed)).not.toEqual(Array.from(result.encoder.get('lstm0_fw_kernel')!)); // phase 2 trains the encoder too
    expect(await accuracyOf(tuned, data)).toBeGreaterThan(0.8); // the rise of a smooth sine is learnable
    tuned.dispose();
  });

  it('refuses initial weights of another shape, naming the weight', async () => {
    const data = smoothData(300);
    const { LstmModel } = await import('../../lib/models');
    const model = new LstmModel({ layers: 1, units: 4, bidirectional: true });
    await expect(model.fit(data, { init: new Map([['lstm0_fw_kernel', new Float32Array(3)]]), epochs: 1 })).rejects.toThrow(/initial weight lstm0_fw_kernel has 3 values/);
  });
});
