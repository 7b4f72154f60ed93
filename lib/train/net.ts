import type { tf } from '../backend/tf';

/**
 * A network as the training loop sees it: named variables and a forward pass from a batch
 * of windows [batch, window, features] to one logit per window. Model families (lib/models)
 * build theirs from plain tf ops; the loop only needs this.
 */
export interface Net {
  variables: Map<string, tf.Variable>;
  /** logits [batch]; `training` turns dropout on */
  forward(x: tf.Tensor3D, training: boolean): tf.Tensor1D;
  /** A regularization term added to the training loss (e.g. L2), if the family has one. */
  penalty?(): tf.Scalar;
  /** The net's own randomness (its dropout seed counter), saved and restored for an exact resume. */
  randomState?: { get(): number; set(value: number): void };
  /**
   * Data-parallel training: the next forward passes see rows [offset, offset + size) of a
   * batch of `total` rows, and draw their dropout masks as the whole batch's rows there — so
   * the sum of the shards' gradients is the whole batch's gradient. null: the whole batch.
   */
  batchShard?: { set(shard: BatchShard | null): void };
}

/** Which rows of the whole batch a replica's forward pass computes. */
export interface BatchShard {
  offset: number;
  total: number;
}
