import { beforeAll, describe, expect, it } from 'vitest';
import { Matrix, solve } from 'ml-matrix';
import { selectBackend } from '../../lib/backend/select';
import { fitLogisticHead, fitRidgeCV, predictLinear, standardization } from '../../lib/models/linear';
import { MiniRocketModel } from '../../lib/models/minirocketModel';
import { accuracyOf } from '../../lib/eval/evaluate';
import { Random } from '../../lib/util/random';
import { toyData } from '../helpers/toy';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** y = 1 when a fixed linear score of the row (plus noise) is positive. */
function problem(rows: number, cols: number, seed: number) {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * cols }, () => r.normal());
  const y = Float32Array.from({ length: rows }, (_, i) => (x[i * cols] - 0.5 * x[i * cols + 1] + 0.3 * r.normal() > 0 ? 1 : 0));
  return { x, y };
}

/** Ridge on standardized, centered data solved in the primal: w = (ZᵀZ + αI)⁻¹ Zᵀ(y − ȳ). */
function primalRidge(x: Float32Array, rows: number, cols: number, y: Float32Array, alpha: number): number[] {
  const { mean, std } = standardization(x, rows, cols);
  const z = new Matrix(Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, c) => (x[i * cols + c] - mean[c]) / std[c])));
  const ym = y.reduce((a, b) => a + b, 0) / rows;
  const yc = Matrix.columnVector(Array.from(y, (v) => v - ym));
  const a = z.transpose().mmul(z).add(Matrix.eye(cols).mul(alpha));
  return solve(a, z.transpose().mmul(yc)).to1DArray();
}

describe('ridge with alpha by leave-one-out CV', () => {
  it('equals the primal solution at the chosen alpha', async () => {
    const { x, y } = problem(60, 5, 1);
    const head = await fitRidgeCV(x, 60, 5, y);
    const w = primalRidge(x, 60, 5, y, head.alpha!);
    head.weights.forEach((v, c) => expect(v).toBeCloseTo(w[c], 4));
  });

  it('reports the leave-one-out error that refitting without each row gives', async () => {
    const rows = 30, cols = 4;
    const { x, y } = problem(rows, cols, 2);
    const alphas = [0.1, 10];
    const head = await fitRidgeCV(x, rows, cols, y, alphas);
    // brute force for alpha 10: standardization is fixed from all rows (as in the closed form), fit on n − 1 rows
    const { mean, std } = standardization(x, rows, cols);
    const z = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, c) => (x[i * cols + c] - mean[c]) / std[c]));
    const ym = y.reduce((a, b) => a + b, 0) / rows;
    let sse = 0;
    for (let i = 0; i < rows; i++) {
      const keep = z.filter((_, j) => j !== i);
      const yk = Array.from(y).filter((_, j) => j !== i).map((v) => v - ym);
      const zk = new Matrix(keep);
      // with the intercept fixed at ȳ of all rows: the closed form's LOO on centered data
      const w = solve(zk.transpose().mmul(zk).add(Matrix.eye(cols).mul(10)), zk.transpose().mmul(Matrix.columnVector(yk))).to1DArray();
      const pred = z[i].reduce((s, v, c) => s + v * w[c], 0);
      sse += (y[i] - ym - pred) ** 2;
    }
    expect(head.cvMse[1]).toBeCloseTo(sse / rows, 6);
  });

  it('blocked CV: each block scored by the fit without the block and its gap', async () => {
    const rows = 40, cols = 3, gap = 2;
    const { x, y } = problem(rows, cols, 8);
    const head = await fitRidgeCV(x, rows, cols, y, [5], { folds: 4, gap });
    const { mean, std } = standardization(x, rows, cols);
    const z = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, c) => (x[i * cols + c] - mean[c]) / std[c]));
    const ym = y.reduce((a, b) => a + b, 0) / rows;
    let sse = 0;
    for (let f = 0; f < 4; f++) {
      const lo = f * 10, hi = lo + 10;
      const keep = z.map((_, j) => j).filter((j) => j < lo - gap || j >= hi + gap);
      const zk = new Matrix(keep.map((j) => z[j]));
      const w = solve(zk.transpose().mmul(zk).add(Matrix.eye(cols).mul(5)), zk.transpose().mmul(Matrix.columnVector(keep.map((j) => y[j] - ym)))).to1DArray();
      for (let i = lo; i < hi; i++) sse += (y[i] - ym - z[i].reduce((s, v, c) => s + v * w[c], 0)) ** 2;
    }
    expect(head.cvMse[0]).toBeCloseTo(sse / rows, 6);
  });

  it('classifies a linearly separable-ish problem far above chance', async () => {
    const train = problem(400, 10, 3);
    const test = problem(400, 10, 4);
    const head = await fitRidgeCV(train.x, 400, 10, train.y);
    const p = predictLinear(head, test.x, 400);
    const acc = Array.from(p).filter((v, i) => (v > 0.5 ? 1 : 0) === test.y[i]).length / 400;
    expect(acc).toBeGreaterThan(0.85);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('logistic head', () => {
  it('learns the same problem and gives probabilities', async () => {
    const train = problem(600, 10, 5);
    const val = problem(300, 10, 6);
    const head = await fitLogisticHead({ ...train, rows: 600 }, { ...val, rows: 300 }, 10, { train: { epochs: 40, learningRate: 0.02, batchSize: 64 } });
    const p = predictLinear(head, val.x, 300);
    const acc = Array.from(p).filter((v, i) => (v > 0.5 ? 1 : 0) === val.y[i]).length / 300;
    expect(acc).toBeGreaterThan(0.85);
    expect(head.weights[0]).toBeGreaterThan(0); // the true score's signs
    expect(head.weights[1]).toBeLessThan(0);
  });
});

describe('MiniRocket classifier', () => {
  it('learns the toy task with the ridge head (small n) and the logistic head (large n)', async () => {
    const data = toyData(700, 3, 9);
    const ridge = await new MiniRocketModel({ numFeatures: 840 }).fit(data, { seed: 1 });
    expect(ridge.linearHead!.kind).toBe('ridge');
    expect(await accuracyOf(ridge, data)).toBeGreaterThan(0.8);
    const logistic = await new MiniRocketModel({ numFeatures: 840, ridgeMaxExamples: 100 }).fit(data, { seed: 1, epochs: 40, learningRate: 0.01 });
    expect(logistic.linearHead!.kind).toBe('logistic');
    expect(await accuracyOf(logistic, data)).toBeGreaterThan(0.75); // chance is 0.5
  });

  it('on shuffled training labels stays near chance (the control)', async () => {
    const data = toyData(700, 3, 9);
    const model = await new MiniRocketModel({ numFeatures: 840 }).fit(data, { seed: 1 });
    const y = Array.from(data.train, (e) => data.source.labels[e]);
    const shuffled = new Random(3).shuffle(y);
    const head = await model.fitHead(shuffled, Array.from(data.val, (e) => data.source.labels[e]));
    const p = predictLinear(head, model.features!.val, data.val.length);
    const acc = Array.from(p).filter((v, i) => (v > 0.5 ? 1 : 0) === data.source.labels[data.val[i]]).length / p.length;
    expect(acc).toBeLessThan(0.65);
  });
});
