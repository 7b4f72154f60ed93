import { InputError } from '../util/errors';
import { tf } from './tf';

/**
 * TensorFlow.js flags set from `GATEBOOK_TFJS_FLAGS` (`NAME=value,NAME=value`), applied once the
 * backend is chosen (a backend registers its own flags when it loads): tuning tfjs on a box
 * without a code change, e.g. `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=60` (dispatches a submit) or
 * `WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL=16` (the output tiles below which a matMul
 * splits its inner dimension over more workgroups). `true`/`false` are booleans, a number is a
 * number, anything else a string. A name tfjs has not registered is an error that says so.
 */
export function applyTfjsFlags(text = process.env.GATEBOOK_TFJS_FLAGS): Record<string, number | boolean | string> {
  const applied: Record<string, number | boolean | string> = {};
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new InputError(`GATEBOOK_TFJS_FLAGS: "${entry}" is not NAME=value (flags are separated by commas)`);
    const name = entry.slice(0, at).trim(), raw = entry.slice(at + 1).trim();
    const registered = Object.keys((tf.env() as unknown as { flagRegistry?: Record<string, unknown> }).flagRegistry ?? {});
    if (!registered.includes(name)) {
      const near = registered.filter((f) => f.split('_')[0] === name.split('_')[0]).sort().slice(0, 8);
      throw new InputError(`GATEBOOK_TFJS_FLAGS: ${name} is not a flag of tfjs on the ${tf.getBackend()} backend${near.length ? ` (its ${name.split('_')[0]}_ flags include ${near.join(', ')})` : ''}`);
    }
    const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    tf.env().set(name, value);
    applied[name] = value;
  }
  return applied;
}
