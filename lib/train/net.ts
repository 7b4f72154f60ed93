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
}
