import { z } from 'zod';
import { tf } from '../backend/tf';
import type { Net } from '../train/net';
import { NeuralModel, networkFamily } from './neural';
import { registerFamily } from './registry';
import { dense3d, dropoutDraws, WeightFactory } from './net';
import { addRelu } from '../ops/addRelu';
import { reluDropout } from '../ops/reluDropout';
import { causalShifts } from '../ops/causalShifts';
import { logitHead } from '../ops/logitHead';

export const TcnParams = z.object({
  channels: z.number().int().min(1).max(512).default(32),
  kernelSize: z.number().int().min(2).max(8).default(3),
  dilations: z.array(z.number().int().positive()).min(1).default([1, 2, 4, 8]),
  dropout: z.number().min(0).lt(1).default(0.1),
}).strict();
export type TcnParams = z.infer<typeof TcnParams>;

/**
 * Temporal convolutional network: residual blocks of dilated causal convolutions. Each
 * convolution is its input unfolded (k time-shifted copies side by side, zeros before the
 * first step, so nothing reads the future: `ops/causalShifts.ts`) times one kernel matrix —
 * conv1d does not train on wasm (Conv2DBackpropFilter is not registered there).
 *
 * The classifier reads the last step only, so each layer computes only the steps that the
 * last step reads through it (`tcnSteps`): with k = 3 and dilations [1, 2, 4, 8] over 60
 * steps, the last block computes 1 and 3 steps, the first every step once and every other
 * step once — about a third of the multiply-adds of every step in every layer, with the same
 * output and the same gradients (`test/models/tcnSteps.test.ts` checks both against the
 * convolution at every step).
 */
export function buildTcn(params: TcnParams, features: number, _window: number, seed: number): Net {
  const w = new WeightFactory(seed);
  const k = params.kernelSize;
  const blocks = params.dilations.map((dilation, i) => {
    const inSize = i === 0 ? features : params.channels;
    return {
      dilation,
      conv1: w.glorot(`tcn${i}_conv1`, k * inSize, params.channels),
      bias1: w.fill(`tcn${i}_bias1`, [params.channels], 0),
      conv2: w.glorot(`tcn${i}_conv2`, k * params.channels, params.channels),
      bias2: w.fill(`tcn${i}_bias2`, [params.channels], 0),
      skip: inSize === params.channels ? null : w.glorot(`tcn${i}_skip`, inSize, params.channels),
    };
  });
  const headW = w.glorot('head_kernel', params.channels, 1);
  const headB = w.fill('head_bias', [1], 0);
  return {
    variables: w.variables,
    randomState: w.randomState,
    batchShard: w.batchShard,
    forward(x, training) {
      const plan = tcnSteps(x.shape[1], k, params.dilations);
      let h = pick(x, { stride: 1, steps: x.shape[1] }, plan[0].input);
      blocks.forEach((b, i) => {
        const { input, inner, output } = plan[i];
        const c1 = causalConv(h, b.conv1 as tf.Tensor2D, b.bias1 as tf.Tensor1D, k, b.dilation, input, inner);
        const y1 = reluDropout(c1, dropoutDraws(c1, params.dropout, training, w));
        const c2 = causalConv(y1 as tf.Tensor3D, b.conv2 as tf.Tensor2D, b.bias2 as tf.Tensor1D, k, b.dilation, inner, output);
        const y2 = reluDropout(c2, dropoutDraws(c2, params.dropout, training, w));
        const atOutput = pick(h, input, output);
        const residual = b.skip ? dense3d(atOutput, b.skip as tf.Tensor2D) : atOutput;
        h = addRelu(y2, residual) as tf.Tensor3D; // at the steps the next block's input needs
      });
      const [batch, , channels] = h.shape; // one step: the last
      return logitHead(h.reshape([batch, channels]) as tf.Tensor2D, headW as tf.Tensor2D, headB as tf.Tensor1D);
    },
  };
}

/**
 * Steps of a sequence counted back from the last: `steps` of them, `stride` apart (the last
 * row is the last step). A tensor [b, steps, c] holds a layer's values at those steps.
 */
export interface StepGrid { stride: number; steps: number }

/** Which steps each block of a TCN computes so that the last step's output is exact: the block's input, its first convolution's output, and its output. */
export interface BlockSteps { input: StepGrid; inner: StepGrid; output: StepGrid }

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The steps each layer must compute for the last step of the last block, walking back from
 * it: a convolution at steps o (every s-th back) reads o + j·dilation, so its input is needed
 * every gcd(s, dilation) steps, as far back as the furthest tap; a residual reads its input at
 * the block's own steps. Steps before the first are zeros and never computed.
 */
export function tcnSteps(window: number, k: number, dilations: number[]): BlockSteps[] {
  const within = (stride: number, steps: number): StepGrid => ({ stride, steps: Math.min(steps, Math.floor((window - 1) / stride) + 1) });
  const plan: BlockSteps[] = [];
  let need: StepGrid = { stride: 1, steps: 1 };
  for (let i = dilations.length - 1; i >= 0; i--) {
    const d = dilations[i];
    const s = need.steps === 1 ? d : gcd(need.stride, d);
    const output: StepGrid = { stride: need.steps === 1 ? s : need.stride, steps: need.steps };
    const span = (o: StepGrid) => (o.steps - 1) * o.stride; // how far back its first step lies
    const inner = within(s, (span(output) + (k - 1) * d) / s + 1);
    const input = within(s, Math.max(span(inner) + (k - 1) * d, span(output)) / s + 1);
    plan.unshift({ input, inner, output });
    need = input;
  }
  return plan;
}

/** The rows of x (held at steps `from`) at the steps `to` (a subset, its stride a multiple of from's). */
function pick(x: tf.Tensor3D, from: StepGrid, to: StepGrid): tf.Tensor3D {
  if (from.stride === to.stride && from.steps === to.steps) return x;
  return causalShifts(x, 1, 1, to.stride / from.stride, to.steps);
}

/**
 * y_t = Σ_j W_j · x_{t − j·d} + b, with zeros before the first step: at every step by default,
 * or at the steps `to` of an x held at the steps `from` (`tcnSteps`). `bias` null: without b.
 */
export function causalConv(x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, k: number, dilation: number,
  from: StepGrid = { stride: 1, steps: x.shape[1] }, to: StepGrid = from): tf.Tensor3D {
  return dense3d(causalShifts(x, k, dilation / from.stride, to.stride / from.stride, to.steps), kernel, bias ?? undefined);
}

/** A temporal convolutional network classifier. */
export class TcnModel extends NeuralModel<TcnParams> {
  constructor(params: Partial<TcnParams> = {}) {
    super('tcn', TcnParams, buildTcn, params);
  }
}

export const tcn = (params: Partial<TcnParams> = {}) => new TcnModel(params);

registerFamily('tcn', networkFamily(tcn, 'temporal convolutional network (params: channels, kernelSize, dilations, dropout)'));
