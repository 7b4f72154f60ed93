import { tf } from '../backend/tf';

/** Set a variable's values from a plain array (the temporary tensor is freed). */
export function assignValues(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape);
  v.assign(t);
  t.dispose();
}

/** Copies of the variables' current values (a best-epoch snapshot), read asynchronously (GPU tensors cannot be read synchronously in Node). */
export async function snapshot(variables: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(variables.map(async (v) => Float32Array.from(await v.data() as Float32Array)));
}

/** Named variables as plain arrays (copies), read asynchronously: a GPU tensor cannot be read synchronously in Node. */
export async function readWeights(variables: Map<string, tf.Variable>): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  return new Map(await Promise.all([...variables].map(async ([name, v]) => [name, { shape: v.shape, values: Float32Array.from(await v.data() as Float32Array) }] as const)));
}
