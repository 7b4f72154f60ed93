import { tf } from '../backend/tf';
import { dropoutWith, type BranchDropout } from '../ops/dropout';
import { layerNorm as layerNormOp } from '../ops/layerNorm';
import type { BatchShard } from '../train/net';
import { Random } from '../util/random';

/*
 * The pieces families build their networks (train/net.ts's `Net`) from: seeded weights and
 * a few layers of plain tf ops (no tfjs-layers), so every op has a gradient on every backend
 * (wasm lacks Conv2DBackpropFilter: the TCN uses shifted matMuls instead of conv1d).
 */

let variableCounter = 0;

/** Creates variables with seeded initial values, so the same seed builds the same net. */
export class WeightFactory {
  readonly variables = new Map<string, tf.Variable>();
  private readonly rng: Random;
  private dropoutSeed: number;
  /** the rows of the whole batch the next forward pass computes (data-parallel training) */
  shard: BatchShard | null = null;

  constructor(seed: number) {
    this.rng = new Random(seed);
    this.dropoutSeed = seed * 7919;
  }

  /** Glorot-uniform matrix [fanIn, fanOut]. */
  glorot(name: string, fanIn: number, fanOut: number): tf.Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = Float32Array.from({ length: fanIn * fanOut }, () => (2 * this.rng.uniform() - 1) * limit);
    return this.add(name, tf.tensor2d(values, [fanIn, fanOut]));
  }

  /** A constant-filled tensor of any shape (biases, norms). */
  fill(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, tf.fill(shape, value));
  }

  /** A vector whose i-th value is `value(i)`. */
  add1d(name: string, size: number, value: (i: number) => number): tf.Variable {
    return this.add(name, tf.tensor1d(Float32Array.from({ length: size }, (_, i) => value(i))));
  }

  /** Small normal values of any shape (learned positions). */
  normal(name: string, shape: number[], std: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    return this.add(name, tf.tensor(Float32Array.from({ length: size }, () => this.rng.normal() * std), shape));
  }

  /** A fresh seed for one dropout call, so training is reproducible. */
  nextDropoutSeed(): number {
    return ++this.dropoutSeed;
  }

  /** The dropout seed counter, read and restored with a training checkpoint (an exact resume). */
  readonly randomState = {
    get: (): number => this.dropoutSeed,
    set: (value: number): void => {
      this.dropoutSeed = value;
    },
  };

  /** Data-parallel training sets the rows a replica computes (train/net.ts's `batchShard`). */
  readonly batchShard = {
    set: (shard: BatchShard | null): void => {
      this.shard = shard;
    },
  };

  private add(name: string, initial: tf.Tensor): tf.Variable {
    if (this.variables.has(name)) throw new Error(`duplicate weight ${name}`);
    const v = tf.variable(initial, true, `${name}_${++variableCounter}`); // tfjs names are global: make them unique
    initial.dispose();
    this.variables.set(name, v);
    return v;
  }
}

export { dense3d } from '../ops/dense';

/**
 * Dropout with a seed from the factory (identity when not training or rate 0): x · ⌊u + keep⌋ /
 * keep, tf.dropout's formula (`ops/dropout.ts`: only x is differentiated), with u drawn by
 * position in the whole batch (`uniformDraws`). On a data-parallel replica only its rows are
 * drawn, and its mask is the one a single process would use for them.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean, weights: WeightFactory): T {
  const drop = dropoutDraws(x, rate, training, weights);
  return drop ? (dropoutWith(x, drop.draws, drop.keep) as T) : x;
}

/**
 * Where dropout(x) would take its draws, for an op that applies it itself (`residualNorm`):
 * null when not training or at rate 0; else the factory's next seed, as `dropout` takes it.
 */
export function dropoutDraws(x: tf.Tensor, rate: number, training: boolean, weights: WeightFactory): BranchDropout | null {
  if (!training || rate <= 0) return null;
  const seed = weights.nextDropoutSeed();
  const shard = weights.shard;
  const perRow = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return { draws: { seed, from: (shard?.offset ?? 0) * perRow }, keep: 1 - rate };
}

/** Layer normalization over the last axis with learned gain and bias. */
export function layerNorm(x: tf.Tensor3D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  return layerNormOp(x, gain, bias);
}
