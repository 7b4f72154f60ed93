import { Random } from '../util/random';

/** Weights that make each class count as half of the loss: n / (2 · n_class), from train. */
export function classWeights(labels: Float32Array, ends: ArrayLike<number>): [number, number] {
  let ones = 0;
  for (let i = 0; i < ends.length; i++) ones += labels[ends[i]] > 0.5 ? 1 : 0;
  const zeros = ends.length - ones;
  if (ones === 0 || zeros === 0) return [1, 1];
  return [ends.length / (2 * zeros), ends.length / (2 * ones)];
}

/** A seeded permutation of `ends`. */
export function shuffled(ends: Int32Array, rng: Random): Int32Array {
  return Int32Array.from(rng.shuffle(Array.from(ends)));
}

/** Balanced sampling: the minority class drawn with replacement up to the majority's count, shuffled. */
export function balanced(labels: Float32Array, ends: Int32Array, rng: Random): Int32Array {
  const pos = Array.from(ends).filter((e) => labels[e] > 0.5);
  const neg = Array.from(ends).filter((e) => labels[e] <= 0.5);
  const [major, minor] = pos.length >= neg.length ? [pos, neg] : [neg, pos];
  if (minor.length === 0) return shuffled(ends, rng);
  const extra = Array.from({ length: major.length - minor.length }, () => minor[rng.int(minor.length)]);
  return shuffled(Int32Array.from([...major, ...minor, ...extra]), rng);
}
