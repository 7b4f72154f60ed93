import type { PreparedData } from '../../lib/tensors/prepare';
import { Random } from '../../lib/util/random';

/**
 * A learnable toy task: label = 1 when feature 0 at the window's last step is positive
 * (plus `noise` flipped labels). Rows are i.i.d. normals, so any model that reads the last
 * step can reach ~100 % and a model that cannot is at chance.
 */
export function toyData(rows = 1200, features = 4, window = 8, noise = 0, seed = 1): PreparedData {
  const rng = new Random(seed);
  const matrix = Float32Array.from({ length: rows * features }, () => rng.normal());
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const clean = matrix[r * features] > 0 ? 1 : 0;
    return rng.uniform() < noise ? 1 - clean : clean;
  });
  const ends = (from: number, to: number) => Int32Array.from({ length: to - from - window + 1 }, (_, i) => from + window - 1 + i);
  const train = Math.floor(rows * 0.7);
  return {
    source: { matrix, features, labels, rows },
    window,
    featureNames: Array.from({ length: features }, (_, i) => `f${i}`),
    scaler: { kind: 'standard', center: new Array(features).fill(0), scale: new Array(features).fill(1) },
    train: ends(0, train),
    val: ends(train, rows),
    lastMove: Float32Array.from(labels),
  };
}
