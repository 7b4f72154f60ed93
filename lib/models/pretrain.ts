import { z } from 'zod';
import { tf } from '../backend/tf';
import type { PreparedData } from '../tensors/prepare';
import { shuffled } from '../tensors/sampling';
import type { WindowSource } from '../tensors/windows';
import { windowsTensor } from '../ops/windowsTensor';
import { trainLoop, type EpochRecord, type Objective } from '../train/loop';
import { assignValues, readWeights } from '../train/weights';
import { Random } from '../util/random';
import { lstmEncoder, type LstmEncoder, type LstmParams } from './lstm';
import { WeightFactory } from './net';

/** Masked-reconstruction pretraining (`workflow.pretrain` in a config). */
export const PretrainOptions = z.object({
  /** the encoder: a bidirectional LSTM of this many units per direction and layers */
  units: z.number().int().min(1).max(512).default(32),
  layers: z.number().int().min(1).max(4).default(1),
  /** share of time steps hidden from the encoder */
  maskRatio: z.number().gt(0).lt(1).default(0.15),
  /** `random`: steps masked independently; `patch`: contiguous runs of `patchLength` steps */
  maskStrategy: z.enum(['random', 'patch']).default('patch'),
  patchLength: z.number().int().min(1).default(5),
  epochs: z.number().int().positive().default(8),
  patience: z.number().int().positive().default(3),
  batchSize: z.number().int().positive().default(256),
  learningRate: z.number().positive().default(1e-3),
  clipNorm: z.number().nonnegative().default(1),
}).strict();
export type PretrainOptions = z.infer<typeof PretrainOptions>;

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

export interface PretrainResult {
  /** the encoder's weights (lstm*), the decoder dropped */
  encoder: Map<string, Float32Array>;
  history: EpochRecord[];
  bestValLoss: number;
  /** the masked MSE of predicting 0 (the scaled centre) at every masked step: the bar to beat */
  zeroValLoss: number;
  samplesPerSecond: number;
}

/**
 * Masked-reconstruction pretraining of a BiLSTM encoder on unlabeled windows (the labels
 * are never read): masked steps are zeroed in the input, a linear decoder reconstructs every
 * feature from the encoder's output at each step, and the loss is the MSE on masked steps
 * only. Trained by the one training loop (Adam, clipping, early stopping on the validation
 * windows' masked MSE with fixed masks, best weights kept).
 */
export async function pretrainEncoder(
  data: PreparedData, input: Partial<PretrainOptions> & { seed?: number } = {},
  onEpoch?: (e: EpochRecord, improved: boolean) => void,
): Promise<PretrainResult> {
  const { seed = 42, ...rest } = input;
  const o = PretrainOptions.parse(rest);
  const f = data.source.features;
  const w = new WeightFactory(seed);
  const encoder = lstmEncoder(w, encoderParams(o), f);
  const decoder = { kernel: w.glorot('decoder_kernel', encoder.size, f) as tf.Tensor2D, bias: w.fill('decoder_bias', [f], 0) };
  const objective = reconstructionObjective(data, o, encoder, decoder, seed);
  const zeroValLoss = await objective.validateZero();
  const result = await trainLoop([...w.variables.values()], objective, {
    epochs: o.epochs, patience: o.patience, batchSize: o.batchSize, learningRate: o.learningRate, clipNorm: o.clipNorm, seed, classWeighted: false,
  }, { onEpoch: (record, improved) => onEpoch?.(record, improved) });
  const encoderWeights = new Map([...await readWeights(new Map([...w.variables].filter(([name]) => name.startsWith('lstm'))))].map(([name, v]) => [name, v.values]));
  for (const v of w.variables.values()) v.dispose();
  return { encoder: encoderWeights, history: result.history, bestValLoss: result.bestValLoss, zeroValLoss, samplesPerSecond: result.samplesPerSecond };
}

/** Masked MSE over the hidden steps of shuffled training windows (fresh masks per batch), validated on fixed masks. */
function reconstructionObjective(
  data: PreparedData, o: PretrainOptions, encoder: LstmEncoder, decoder: { kernel: tf.Tensor2D; bias: tf.Tensor }, seed: number,
): Objective & { validateZero(): Promise<number> } {
  const { window } = data;
  const f = data.source.features;
  const loss = (x: tf.Tensor3D, mask: tf.Tensor2D, training: boolean): tf.Scalar => {
    const m = mask.expandDims(2) as tf.Tensor3D;
    const seq = encoder.encode(x.mul(tf.scalar(1).sub(m)) as tf.Tensor3D, training, true).sequence!;
    const [b, t] = seq.shape;
    const recon = tf.matMul(seq.reshape([b * t, encoder.size]), decoder.kernel).add(decoder.bias).reshape([b, t, f]);
    return recon.sub(x).square().mul(m).sum().div(m.sum().mul(f)) as tf.Scalar;
  };
  const valMasks = makeMask(data.val.length, window, o, new Random(seed + 1));
  // the masked MSE of the validation windows, weighted by masked steps; `zero`: of predicting 0 everywhere
  const evaluate = async (zero: boolean): Promise<number> => {
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < data.val.length; i += 1024) {
      const ends = data.val.subarray(i, i + 1024);
      const maskValues = valMasks.subarray(i * window, (i + ends.length) * window);
      const masked = maskValues.reduce((a, b) => a + b, 0);
      const t = tf.tidy(() => {
        const x = windowsTensor(data.source, ends, window);
        const mask = tf.tensor2d(maskValues, [ends.length, window]);
        if (!zero) return loss(x, mask, false);
        const m = mask.expandDims(2);
        return x.square().mul(m).sum().div(m.sum().mul(f));
      });
      const value = (await t.data())[0];
      t.dispose();
      sum += value * masked;
      weight += masked;
    }
    return sum / Math.max(1, weight);
  };
  let order = data.train;
  let rng: Random;
  let batchSize = o.batchSize;
  return {
    divergenceHint: 'Lower workflow.pretrain.learningRate.',
    startEpoch(r, size) {
      rng = r;
      batchSize = size;
      order = shuffled(data.train, rng);
      return Math.ceil(order.length / batchSize);
    },
    batch(b) {
      const ends = order.subarray(b * batchSize, (b + 1) * batchSize);
      const maskValues = makeMask(ends.length, window, o, rng);
      return { size: ends.length, loss: () => loss(windowsTensor(data.source, ends, window), tf.tensor2d(maskValues, [ends.length, window]), true) };
    },
    validate: async () => ({ loss: await evaluate(false) }),
    validateZero: () => evaluate(true),
  };
}

/** The frozen encoder's features of windows: the last steps of both directions, rows × size. */
export async function encodeWindows(encoderWeights: Map<string, Float32Array>, o: Pick<PretrainOptions, 'units' | 'layers'>, source: WindowSource, ends: Int32Array, window: number): Promise<{ x: Float32Array; columns: number }> {
  const w = new WeightFactory(0);
  const encoder = lstmEncoder(w, encoderParams(o), source.features);
  for (const [name, v] of w.variables) assignValues(v, encoderWeights.get(name)!);
  const out = new Float32Array(ends.length * encoder.size);
  for (let i = 0; i < ends.length; i += 1024) {
    const last = tf.tidy(() => encoder.encode(windowsTensor(source, ends.subarray(i, i + 1024), window), false, false).last);
    out.set(await last.data(), i * encoder.size);
    last.dispose();
  }
  for (const v of w.variables.values()) v.dispose();
  return { x: out, columns: encoder.size };
}
