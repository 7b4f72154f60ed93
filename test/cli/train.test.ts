import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import pl from 'nodejs-polars';
import { selectBackend } from '../../lib/backend/select';
import { loadDataset, saveDataset } from '../../lib/data/dataset';
import { majority, minirocket, persistence } from '../../lib/models';
import { loadSplit } from '../../lib/split/splitFile';
import { prepareData } from '../../lib/tensors/prepare';
import { gatebook, tempDir } from '../helpers/cli';

let dir: string;
let artifacts: string;
beforeAll(() => {
  dir = tempDir();
  artifacts = join(dir, 'artifacts');
  writeFileSync(join(dir, 'config.yaml'), 'features:\n  causalityPoints: 3\nmodel:\n  family: logistic\n  params: {}\n  trainStride: 8\n');
  const r = gatebook(['pipeline', '--config', join(dir, 'config.yaml'), '--artifacts', artifacts, '--to', 'split']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

const inputs = () => ['--features', join(artifacts, 'features.parquet'), '--split', join(artifacts, 'split.json')];

describe('gatebook train / predict', () => {
  it('trains, saves the best checkpoint with its history, and predicts from it', () => {
    const model = join(dir, 'tcn');
    const r = gatebook(['train', '--model', 'tcn', '--config', join(dir, 'config.yaml'), '--epochs', '2', '--out', model, ...inputs()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/val_accuracy\s+0\.\d{4}/);
    expect(r.stderr).toMatch(/tcn: epoch 2 loss/); // progress, one line per epoch off a terminal
    const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'gatebook-model', family: 'tcn', window: 60, scaler: { kind: 'robust' } });
    expect(meta.features).toHaveLength(22); // the stationary features
    expect(JSON.parse(readFileSync(join(model, 'history.json'), 'utf8'))).toHaveLength(2);
    const out = join(dir, 'p.csv');
    const p = gatebook(['predict', join(artifacts, 'features.parquet'), '--model', model, '--out', out]);
    expect(p.code, p.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,probability');
    const rows = JSON.parse(gatebook(['data', 'info', join(artifacts, 'features.parquet')]).stdout).rows as number;
    expect(lines.length - 1).toBe(rows - 60 + 1);
    expect(lines.slice(1).every((l) => { const v = Number(l.split(',')[1]); return v >= 0 && v <= 1; })).toBe(true);
  }, 120_000);

  it('resumes from a checkpoint at the next epoch', () => {
    const model = join(dir, 'resume');
    expect(gatebook(['train', '--model', 'logistic', '--epochs', '2', '--out', model, ...inputs()]).code).toBe(0);
    const again = gatebook(['train', '--model', 'logistic', '--epochs', '4', '--resume', model, ...inputs()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/logistic: epoch 3 /);
    expect(again.stderr).not.toMatch(/logistic: epoch 1 /);
  }, 120_000);

  it('refuses a model whose weights changed, and a split made on other data', () => {
    const model = join(dir, 'tamper');
    expect(gatebook(['train', '--model', 'logistic', '--epochs', '1', '--out', model, ...inputs()]).code).toBe(0);
    const weights = readFileSync(join(model, 'weights.bin'));
    weights[0] ^= 1;
    writeFileSync(join(model, 'weights.bin'), weights);
    const p = gatebook(['predict', join(artifacts, 'features.parquet'), '--model', model]);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('weights.bin does not match the sha256 in model.json');
    const other = join(dir, 'other.json');
    writeFileSync(other, readFileSync(join(artifacts, 'split.json'), 'utf8').replace(/"dataSha256": "[0-9a-f]+"/, `"dataSha256": "${'c'.repeat(64)}"`));
    const t = gatebook(['train', '--model', 'logistic', '--features', join(artifacts, 'features.parquet'), '--split', other]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('was made on data with sha256 cccccccccccc');
  }, 120_000);

  it('predicts with every family, the naive rules and MiniRocket included (what each reads comes with the model)', async () => {
    await selectBackend('wasm');
    const all = loadDataset(join(artifacts, 'features.parquet')).frame;
    const full = prepareData(all, loadSplit(join(artifacts, 'split.json')), { window: 20, trainStride: 16, featureNames: ['rsi_14', 'macd'] });
    const data = { ...full, val: full.val.subarray(0, 200) };
    const frame = all.head(800); // predict on the first 800 bars (MiniRocket transforms every window)
    saveDataset(frame, join(dir, 'head.parquet'), { step: 'features' });
    const read = (model: string) => {
      const p = gatebook(['predict', join(dir, 'head.parquet'), '--model', model, '--out', join(dir, 'p.csv')]);
      expect(p.code, p.stderr).toBe(0);
      return readFileSync(join(dir, 'p.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    };
    const rate = Array.from(data.train, (e) => data.source.labels[e]).reduce((a, b) => a + b, 0) / data.train.length;
    (await majority().fit(data)).save(join(dir, 'majority'));
    const constant = read(join(dir, 'majority'));
    expect(constant).toHaveLength(frame.height - 20 + 1); // windows of the saved model's length
    expect(new Set(constant.map((v) => v.toFixed(6)))).toEqual(new Set([rate.toFixed(6)]));
    (await persistence().fit(data)).save(join(dir, 'persistence'));
    const close = frame.getColumn('close').cast(pl.Float64).toArray() as number[];
    expect(read(join(dir, 'persistence'))).toEqual(close.slice(19).map((c, i) => (c > close[i + 18] ? 1 : 0))); // the last bar's move
    const rocket = await minirocket({ numFeatures: 168, classifier: 'logistic' }).fit(data, { epochs: 2 });
    rocket.save(join(dir, 'minirocket'));
    const p = read(join(dir, 'minirocket'));
    expect(p[700 - 19]).toBeCloseTo((await rocket.predictProba(data.source, Int32Array.of(700)))[0], 5); // bar 700 is a training window's end here
  }, 120_000);
});
