import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { createModel, familyNames, loadModel, lstm, NotFittedError, type Classifier } from '../../lib/models';
import { tempDir } from '../helpers/cli';
import { toyData } from '../helpers/toy';

/** Every family passes the same contract (the way scikit-learn's estimators share one suite). */
const SMALL: Record<string, Record<string, unknown>> = {
  lstm: { layers: 1, units: 4 }, bilstm: { units: 4 }, tcn: { channels: 4, dilations: [1, 2] },
  transformer: { dModel: 8, heads: 2, layers: 1, ffSize: 8 }, logistic: {}, majority: {}, persistence: {}, minirocket: { numFeatures: 168 },
};
const data = toyData(300, 3, 9); // 9: MiniRocket's kernel length
const fitOptions = { epochs: 1, batchSize: 64 };

beforeAll(async () => {
  await selectBackend('wasm');
});

describe.each(familyNames())('%s model', (family) => {
  const make = () => createModel(family, SMALL[family]);

  it('says it is not fitted before fit, naming itself', async () => {
    const model = make();
    expect(model.fitted).toBe(false);
    await expect(model.predictProba(data.source, data.val, data.lastMove)).rejects.toThrow(NotFittedError);
    await expect(model.predictProba(data.source, data.val, data.lastMove)).rejects.toThrow(/Model is not fitted yet: call fit\(\) first/);
    expect(() => model.save(tempDir())).toThrow(NotFittedError);
  });

  it('fit returns itself; clone keeps params and drops learned state', async () => {
    const model = make();
    expect(await model.fit(data, fitOptions)).toBe(model);
    expect(model.fitted).toBe(true);
    const copy = model.clone();
    expect(copy.family).toBe(model.family);
    expect(copy.params).toEqual(model.params);
    expect(copy.fitted).toBe(false);
    model.dispose();
  });

  it('save → load predicts identically, probabilities in [0, 1]', async () => {
    const model: Classifier = await make().fit(data, fitOptions);
    const dir = join(tempDir(), 'model');
    model.save(dir);
    const loaded = loadModel(dir);
    const a = await model.predictProba(data.source, data.val, data.lastMove);
    const b = await loaded.predictProba(data.source, data.val, data.lastMove);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a.every((p) => p >= 0 && p <= 1)).toBe(true);
    model.dispose();
    loaded.dispose();
  });
});

describe('model params', () => {
  it('are validated at fit, naming the key', async () => {
    await expect(createModel('lstm', { units: -3 }).fit(data, fitOptions)).rejects.toThrow(/LstmModel: invalid units: Number must be greater than or equal to 1/);
    await expect(createModel('transformer', { dModel: 10, heads: 3 }).fit(data, fitOptions)).rejects.toThrow(/invalid dModel: dModel must be a multiple of heads/);
    expect(() => createModel('gru')).toThrow(/invalid model: gru \(expected one of lstm, bilstm, tcn/);
  });

  it('fitting again replaces the weights without leaking tensors', async () => {
    const model = lstm({ layers: 1, units: 4 });
    await model.fit(data, fitOptions);
    const before = tf.memory().numTensors;
    await model.fit(data, fitOptions);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
