import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { tf } from '../backend/tf';
import type { PreparedData } from '../tensors/prepare';
import type { TrainCallbacks } from '../train/loop';
import type { TrainOptionsInput } from '../train/options';
import { logistic } from './logistic';

/** The MiniRocket paper's ridge grid (10 alphas on a log scale from 1e-3), extended to 1e6: ~10k features need strong shrinkage. */
export const DEFAULT_ALPHAS = Array.from({ length: 10 }, (_, i) => 10 ** (-3 + (9 * i) / 9));

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
 * on ±1 targets), alpha chosen from `alphas` by cross-validated squared error. One
 * eigendecomposition of the n × n Gram matrix K = XXᵀ = QΛQᵀ serves every alpha and fold:
 * with G = K + α, c = G⁻¹y, the residuals of rows S predicted by the fit without S are
 * (G⁻¹)_SS⁻¹ c_S (leave-one-out when S is one row).
 *
 * `cv.folds` contiguous blocks (rows in time order), each left out together with `cv.gap`
 * rows on either side, scored on the block: overlapping windows next to a held-out row
 * carry its label, and plain leave-one-out then picks an alpha far too small (measured on
 * the embedded data: LOO MSE 0.10 vs a label variance of 0.25, validation AUC 0.44).
 * Without `cv`, leave-one-out (independent rows). O(n²p + n³): for n up to a few thousand.
 */
export async function fitRidgeCV(
  x: Float32Array, rows: number, cols: number, y: ArrayLike<number>, alphas = DEFAULT_ALPHAS,
  cv?: { folds: number; gap: number },
): Promise<LinearHead & { cvMse: number[] }> {
  const { mean, std } = standardization(x, rows, cols);
  const z = standardized(x, rows, { mean, std });
  const yMean = Array.from(y).reduce((a, b) => a + b, 0) / rows;
  const yc = Float64Array.from(y, (v) => v - yMean);
  const gram = await readMatrix(tf.tidy(() => {
    const m = tf.tensor2d(z, [rows, cols]);
    return tf.matMul(m, m, false, true);
  }));
  const eig = new EigenvalueDecomposition(new Matrix(gram), { assumeSymmetric: true });
  const lambda = eig.realEigenvalues.map((l) => Math.max(0, l));
  const q = eig.eigenvectorMatrix.to2DArray();
  const qty = lambda.map((_, k) => q.reduce((s, row, i) => s + row[k] * yc[i], 0));
  const dualOf = (alpha: number) => q.map((row) => row.reduce((s, qik, k) => s + (qik * qty[k]) / (lambda[k] + alpha), 0));
  const blocks = cv ? cvBlocks(rows, cv.folds, cv.gap) : null;
  const cvMse: number[] = [];
  for (const alpha of alphas) cvMse.push(await (async () => {
    const c = dualOf(alpha);
    let sse = 0;
    if (!blocks) {
      for (let i = 0; i < rows; i++) {
        let g = 0;
        for (let k = 0; k < lambda.length; k++) g += (q[i][k] * q[i][k]) / (lambda[k] + alpha);
        sse += (c[i] / g) ** 2;
      }
      return sse / rows;
    }
    let scored = 0;
    for (const { leave, score } of blocks) {
      const inv = await readMatrix(tf.tidy(() => {
        const qs = tf.tensor2d(leave.map((i) => q[i]));
        const d = tf.tensor1d(lambda.map((l) => 1 / (l + alpha)));
        return tf.matMul(qs.mul(d), qs, false, true);
      }));
      const residuals = solve(new Matrix(inv), Matrix.columnVector(leave.map((i) => c[i]))).to1DArray();
      leave.forEach((i, j) => {
        if (score.has(i)) {
          sse += residuals[j] ** 2;
          scored++;
        }
      });
    }
    return sse / Math.max(1, scored);
  })());
  const best = cvMse.indexOf(Math.min(...cvMse));
  const alpha = alphas[best];
  const dual = dualOf(alpha);
  const weights = new Array(cols).fill(0);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) weights[c] += z[i * cols + c] * dual[i];
  return { kind: 'ridge', mean, std, weights, bias: yMean, alpha, cvMse };
}

/** A 2-D tensor's rows as arrays, read asynchronously (GPU tensors cannot be read synchronously in Node); the tensor is freed. */
async function readMatrix(t: tf.Tensor): Promise<number[][]> {
  try {
    return await t.array() as number[][];
  } finally {
    t.dispose();
  }
}

/** `folds` contiguous blocks; each leaves out its rows and `gap` rows either side, and is scored on its own rows. */
export function cvBlocks(rows: number, folds: number, gap: number): Array<{ leave: number[]; score: Set<number> }> {
  const size = Math.ceil(rows / folds);
  return Array.from({ length: folds }, (_, f) => {
    const lo = f * size;
    const hi = Math.min(rows, lo + size);
    const leave = Array.from({ length: Math.min(rows, hi + gap) - Math.max(0, lo - gap) }, (_, i) => Math.max(0, lo - gap) + i);
    return { leave, score: new Set(Array.from({ length: hi - lo }, (_, i) => lo + i)) };
  }).filter((b) => b.score.size > 0);
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
  const model = logistic({ l2: o.l2 ?? 1e-4 });
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
