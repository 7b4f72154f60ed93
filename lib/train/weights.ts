import { tf } from '../backend/tf';

/** Set a variable's values from a plain array (the temporary tensor is freed). */
export function assignValues(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape);
  v.assign(t);
  t.dispose();
}

/** Copies of the variables' current values (a best-epoch snapshot). */
export function snapshot(variables: tf.Variable[]): Float32Array[] {
  return variables.map((v) => (v.dataSync() as Float32Array).slice());
}
