import { PretrainOptions } from '../experiments/workflow';
export { PretrainOptions };
import { tf } from '../backend/tf';
import { makeBatch, type WindowSource } from '../tensors/windows';
import { shuffled } from '../tensors/sampling';
import { assignValues } from '../train/loop';
import { clipByGlobalNorm } from '../train/loss';
import { Random } from '../util/random';
import { TrainingDivergedError } from '../train/loop';
import type { PreparedData } from './classifier';
import { lstmEncoder, type LstmParams } from './lstm';
import { WeightFactory } from './net';


/** The LSTM params of the pretrained encoder (a fine-tuned `bilstm` must use the same). */
export function encoderParams(o: Pick<PretrainOptions, 'units' | 'layers'>, dropout = 0): LstmParams {
  return { layers: o.layers, units: o.units, bidirectional: true, dropout };
}

/**
 * A mask [batch × window], 1 where a step is hidden. `random`: each step with probability
 * `ratio`; `patch`: patches of `patchLength` steps start at random until `ratio` of the
 * window is covered. At least one step of every window is masked.
 */
export function makeMask(batch: number, window: number, o: Pick<PretrainOptions, 'maskRatio' | 'maskStrategy' | 'patchLength'>, rng: Random): Float32Array {
  const mask = new Float32Array(batch * window);
  const target = Math.max(1, Math.round(o.maskRatio * window));
  for (let b = 0; b < batch; b++) {
    const row = mask.subarray(b * window, (b + 1) * window);
    if (o.maskStrategy === 'random') {
      for (let t = 0; t < window; t++) row[t] = rng.uniform() < o.maskRatio ? 1 : 0;
      if (!row.some((v) => v === 1)) row[rng.int(window)] = 1;
    } else {
      let covered = 0;
      while (covered < target) {
        const start = rng.int(Math.max(1, window - o.patchLength + 1));
        for (let t = start; t < Math.min(window, start + o.patchLength) && covered < target; t++) {
          if (row[t] === 0) covered++;
          row[t] = 1;
        }
      }
    }
  }
  return mask;
}

export interface PretrainEpoch { epoch: number; loss: number; valLoss: number; seconds: number }

export interface PretrainResult {
  /** the encoder's weights (lstm*), the decoder dropped */
  encoder: Map<string, Float32Array>;
  history: PretrainEpoch[];
  bestValLoss: number;
  /** the masked MSE of predicting 0 (the scaled centre) at every masked step: the bar to beat */
  zeroValLoss: number;
  samplesPerSecond: number;
}

/**
 * Masked-reconstruction pretraining of a BiLSTM encoder on unlabeled windows (the labels
 * are never read): masked steps are zeroed in the input, a linear decoder reconstructs every
 * feature from the encoder's output at each step, and the loss is the MSE on masked steps
 * only. Adam, clipping, early stopping on the validation windows' masked MSE (fixed masks),
 * best weights kept.
 */
export async function pretrainEncoder(
  data: PreparedData, input: Partial<PretrainOptions> & { seed?: number } = {},
  onEpoch?: (e: PretrainEpoch, improved: boolean) => void,
): Promise<PretrainResult> {
  const { seed = 42, ...rest } = input;
  const o = PretrainOptions.parse(rest);
  const { window } = data;
  const f = data.source.features;
  const w = new WeightFactory(seed);
  const encoder = lstmEncoder(w, encoderParams(o), f);
  const decoderW = w.glorot('decoder_kernel', encoder.size, f);
  const decoderB = w.fill('decoder_bias', [f], 0);
  const variables = [...w.variables.values()];
  const reconstructionLoss = (x: tf.Tensor3D, mask: tf.Tensor2D, training: boolean): tf.Scalar => {
    const m = mask.expandDims(2) as tf.Tensor3D;
    const seq = encoder.encode(x.mul(tf.scalar(1).sub(m)) as tf.Tensor3D, training, true).sequence!;
    const [b, t] = seq.shape;
    const recon = tf.matMul(seq.reshape([b * t, encoder.size]), decoderW as tf.Tensor2D).add(decoderB).reshape([b, t, f]);
    return recon.sub(x).square().mul(m).sum().div(m.sum().mul(f)) as tf.Scalar;
  };
  const rng = new Random(seed);
  const valMasks = makeMask(data.val.length, window, o, new Random(seed + 1));
  const evaluate = (zero: boolean): number => {
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < data.val.length; i += 1024) {
      const batch = makeBatch(data.source, data.val.subarray(i, i + 1024), window);
      const maskValues = valMasks.subarray(i * window, (i + batch.size) * window);
      const masked = maskValues.reduce((a, b) => a + b, 0);
      const loss = tf.tidy(() => {
        const x = tf.tensor3d(batch.x, [batch.size, window, f]);
        const mask = tf.tensor2d(maskValues, [batch.size, window]);
        if (!zero) return reconstructionLoss(x, mask, false).dataSync()[0];
        const m = mask.expandDims(2);
        return x.square().mul(m).sum().div(m.sum().mul(f)).dataSync()[0];
      });
      sum += loss * masked;
      weight += masked;
    }
    return sum / Math.max(1, weight);
  };
  const zeroValLoss = evaluate(true);
  const optimizer: tf.Optimizer = tf.train.adam(o.learningRate);
  const history: PretrainEpoch[] = [];
  let best = { valLoss: Infinity, weights: null as Float32Array[] | null };
  let stale = 0;
  let samples = 0;
  const started = performance.now();
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const epochStart = performance.now();
      const order = shuffled(data.train, rng);
      let lossSum = 0;
      let batches = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const batch = makeBatch(data.source, order.subarray(i, i + o.batchSize), window);
        const maskValues = makeMask(batch.size, window, o, rng);
        const loss = tf.tidy(() => {
          const x = tf.tensor3d(batch.x, [batch.size, window, f]);
          const mask = tf.tensor2d(maskValues, [batch.size, window]);
          const { value, grads } = tf.variableGrads(() => reconstructionLoss(x, mask, true), variables);
          const clipped = clipByGlobalNorm(grads, o.clipNorm);
          const v = value.dataSync()[0];
          if (Number.isFinite(v) && Number.isFinite(clipped.norm)) optimizer.applyGradients(clipped.grads);
          return v;
        });
        if (!Number.isFinite(loss)) throw new TrainingDivergedError(`pretraining diverged: loss ${loss} at epoch ${epoch + 1}; nothing was saved. Lower pretrain.learningRate.`);
        lossSum += loss;
        batches++;
        samples += batch.size;
        await new Promise((r) => setImmediate(r));
      }
      const valLoss = evaluate(false);
      const record = { epoch: epoch + 1, loss: lossSum / Math.max(1, batches), valLoss, seconds: (performance.now() - epochStart) / 1000 };
      history.push(record);
      const improved = valLoss < best.valLoss - 1e-7;
      if (improved) {
        best = { valLoss, weights: variables.map((v) => (v.dataSync() as Float32Array).slice()) };
        stale = 0;
      } else stale++;
      onEpoch?.(record, improved);
      if (stale >= o.patience) break;
    }
  } finally {
    optimizer.dispose();
  }
  if (best.weights) variables.forEach((v, i) => assignValues(v, best.weights![i]));
  const encoderWeights = new Map([...w.variables].filter(([name]) => name.startsWith('lstm')).map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]));
  for (const v of variables) v.dispose();
  return { encoder: encoderWeights, history, bestValLoss: best.valLoss, zeroValLoss, samplesPerSecond: samples / ((performance.now() - started) / 1000) };
}

/** The frozen encoder's features of windows: the last steps of both directions, rows × size. */
export function encodeWindows(encoderWeights: Map<string, Float32Array>, o: Pick<PretrainOptions, 'units' | 'layers'>, source: WindowSource, ends: Int32Array, window: number): { x: Float32Array; columns: number } {
  const w = new WeightFactory(0);
  const encoder = lstmEncoder(w, encoderParams(o), source.features);
  for (const [name, v] of w.variables) assignValues(v, encoderWeights.get(name)!);
  const out = new Float32Array(ends.length * encoder.size);
  for (let i = 0; i < ends.length; i += 1024) {
    const batch = makeBatch(source, ends.subarray(i, i + 1024), window);
    out.set(tf.tidy(() => encoder.encode(tf.tensor3d(batch.x, [batch.size, window, source.features]), false, false).last.dataSync()), i * encoder.size);
  }
  for (const v of w.variables.values()) v.dispose();
  return { x: out, columns: encoder.size };
}
