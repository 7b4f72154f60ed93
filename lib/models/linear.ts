import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tf } from '../backend/tf';
import type { PreparedData } from './classifier';
import { buildLogistic, LogisticParams } from './logistic';
import { NeuralModel } from './neural';
import type { TrainOptionsInput } from '../train/options';
import type { TrainCallbacks } from '../train/loop';

/**
 * Linear heads on a feature matrix (rows × columns, row-major): MiniRocket's classifier
 * and the linear probe of a pretrained encoder. Inputs are standardized with the training
 * rows' mean and standard deviation; a head predicts P(label = 1) = f(x · w + b).
 */
export interface LinearHead {
  kind: 'ridge' | 'logistic';
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  /** ridge: the alpha chosen by leave-one-out cross-validation */
  alpha?: number;
}

/** The seed (and the MiniRocket paper's) grid: 10 alphas, 1e-3 … 1e3 on a log scale. */
export const DEFAULT_ALPHAS = Array.from({ length: 10 }, (_, i) => 10 ** (-3 + (6 * i) / 9));

export function standardization(x: Float32Array, rows: number, cols: number): { mean: number[]; std: number[] } {
  const mean = new Array(cols).fill(0);
  const sq = new Array(cols).fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sq[c] += (x[r * cols + c] - mean[c]) ** 2;
  const std = sq.map((s) => Math.sqrt(s / rows)).map((s) => (s > 1e-12 ? s : 1)); // a constant column becomes 0
  return { mean, std };
}

function standardized(x: Float32Array, rows: number, head: Pick<LinearHead, 'mean' | 'std'>): Float32Array {
  const cols = head.mean.length;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = (x[r * cols + c] - head.mean[c]) / head.std[c];
  return out;
}

/**
 * Ridge regression on 0/1 targets (RidgeClassifierCV: decision above 0.5 ⇔ sklearn's sign
 * on ±1 targets), alpha chosen from `alphas` by exact leave-one-out squared error. One
 * eigendecomposition of the n × n Gram matrix K = XXᵀ = QΛQᵀ serves every alpha: the dual
 * coefficients are c = Q(Λ + α)⁻¹Qᵀy and the LOO residual of row i is cᵢ / [(K + α)⁻¹]ᵢᵢ.
 * O(n²p + n³): for n up to a few thousand (MiniRocket's own rule: logistic beyond).
 */
export function fitRidgeCV(x: Float32Array, rows: number, cols: number, y: ArrayLike<number>, alphas = DEFAULT_ALPHAS): LinearHead & { looMse: number[] } {
  const { mean, std } = standardization(x, rows, cols);
  const z = standardized(x, rows, { mean, std });
  const yMean = Array.from(y).reduce((a, b) => a + b, 0) / rows;
  const yc = Float64Array.from(y, (v) => v - yMean);
  const gram = tf.tidy(() => {
    const m = tf.tensor2d(z, [rows, cols]);
    return tf.matMul(m, m, false, true).arraySync() as number[][];
  });
  const eig = new EigenvalueDecomposition(new Matrix(gram), { assumeSymmetric: true });
  const lambda = eig.realEigenvalues.map((l) => Math.max(0, l));
  const q = eig.eigenvectorMatrix.to2DArray();
  const qty = lambda.map((_, k) => q.reduce((s, row, i) => s + row[k] * yc[i], 0));
  const looMse = alphas.map((alpha) => {
    let sse = 0;
    for (let i = 0; i < rows; i++) {
      let c = 0;
      let g = 0;
      for (let k = 0; k < lambda.length; k++) {
        const inv = 1 / (lambda[k] + alpha);
        c += q[i][k] * inv * qty[k];
        g += q[i][k] * q[i][k] * inv;
      }
      sse += (c / g) ** 2;
    }
    return sse / rows;
  });
  const best = looMse.indexOf(Math.min(...looMse));
  const alpha = alphas[best];
  const dual = q.map((row) => row.reduce((s, qik, k) => s + (qik * qty[k]) / (lambda[k] + alpha), 0));
  const weights = new Array(cols).fill(0);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) weights[c] += z[i * cols + c] * dual[i];
  return { kind: 'ridge', mean, std, weights, bias: yMean, alpha, looMse };
}

/**
 * Logistic regression trained like every gatebook network (Adam, class-weighted BCE,
 * early stopping on the validation rows, seeded): the rows become windows of length 1.
 */
export async function fitLogisticHead(
  train: { x: Float32Array; y: ArrayLike<number>; rows: number },
  val: { x: Float32Array; y: ArrayLike<number>; rows: number },
  cols: number,
  o: { l2?: number; train?: TrainOptionsInput; callbacks?: TrainCallbacks } = {},
): Promise<LinearHead> {
  const { mean, std } = standardization(train.x, train.rows, cols);
  const matrix = new Float32Array((train.rows + val.rows) * cols);
  matrix.set(standardized(train.x, train.rows, { mean, std }));
  matrix.set(standardized(val.x, val.rows, { mean, std }), train.rows * cols);
  const labels = Float32Array.from([...Array.from(train.y), ...Array.from(val.y)]);
  const rows = train.rows + val.rows;
  const data: PreparedData = {
    source: { matrix, features: cols, labels, rows },
    window: 1,
    featureNames: Array.from({ length: cols }, (_, c) => `f${c}`),
    scaler: { kind: 'standard', center: mean, scale: std },
    train: Int32Array.from({ length: train.rows }, (_, i) => i),
    val: Int32Array.from({ length: val.rows }, (_, i) => train.rows + i),
    lastMove: new Float32Array(rows),
  };
  const model = new NeuralModel('logistic', LogisticParams, buildLogistic, { l2: o.l2 ?? 1e-4 });
  await model.fit(data, { epochs: 30, patience: 5, learningRate: 1e-3, ...o.train, callbacks: o.callbacks });
  const w = model.weights();
  model.dispose();
  return { kind: 'logistic', mean, std, weights: Array.from(w.get('kernel')!), bias: w.get('bias')![0] };
}

/** P(label = 1) of each row: the logistic's sigmoid, ridge's linear probability clipped to [0, 1]. */
export function predictLinear(head: LinearHead, x: Float32Array, rows: number): Float32Array {
  const cols = head.mean.length;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let d = head.bias;
    for (let c = 0; c < cols; c++) d += ((x[r * cols + c] - head.mean[c]) / head.std[c]) * head.weights[c];
    out[r] = head.kind === 'logistic' ? 1 / (1 + Math.exp(-d)) : Math.min(1, Math.max(0, d));
  }
  return out;
}
