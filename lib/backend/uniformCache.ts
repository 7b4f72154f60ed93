/**
 * Uniform buffers made once per content and reused, on tfjs's webgpu backend.
 *
 * tfjs writes each dispatch's uniforms (shapes, sizes, constants) into a buffer taken from its
 * pool, a different one at each step, so a dispatch's bind group differs at every step too and
 * cannot be reused (`bindGroupCache.ts`). Here a uniform buffer belongs to its bytes: the same
 * uniforms, the same buffer, written once (once a content has come in an earlier training
 * step: one made anew at every step, such as a dropout's seed, keeps tfjs's pooled buffer and
 * takes no buffer of its own). A buffer is never written again while it is cached; one that
 * leaves the cache (the least recently used, past LIMIT) goes back to tfjs's pool at the next
 * submit, as tfjs returns its own uniform buffers (after the commands that may still read it
 * are submitted).
 * With GATEBOOK_WEBGPU_BIND_CACHE=0 each dispatch gets a pooled buffer written anew, as in tfjs.
 */

import { LruCache } from '../util/lruCache';
import { reuseEnabled } from './bindGroupCache';

/** What this uses of tfjs 4.22's WebGPUBackend. */
export interface UniformBackend {
  device: { queue: { writeBuffer(b: unknown, offset: number, data: ArrayBuffer, dataOffset: number, size: number): void } };
  bufferManager: { acquireBuffer(size: number, usage: number): unknown };
  uniformPendingDisposal: unknown[];
  makeUniforms(uniforms: Array<{ type: string; data: number[] }>): { offset: number; size: number; buffer: unknown };
}

/** Most uniform buffers kept: a step's dispatches need ~70 that stay, and a few new a step */
export const LIMIT = 1024;

const caches = new WeakMap<object, LruCache<string, unknown>>();
const wrapped = new WeakSet<object>();

/** A number as a key: -0 apart from 0 (its bits differ) */
const exact = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

function usage(): number {
  const u = (globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; UNIFORM: number } }).GPUBufferUsage;
  return u.COPY_DST | u.UNIFORM;
}

/** Contents not cached yet, by backend, with the training step they were first seen in */
const seenIn = new WeakMap<object, LruCache<string, number>>();
let step = 0;

/** A training step ended (`webgpu.ts` submitWebgpuWork): contents seen before now recur from step to step. */
export function uniformsNextStep(): void {
  step++;
}

/**
 * The cached buffer for `key`, or `make()`'s kept under it (one that leaves goes back to tfjs's
 * pool at the next submit) — once `key` has come in an earlier training step than this one;
 * before, null: the caller uses a pooled buffer for this dispatch alone, as tfjs does. Values
 * made anew at every step (a dropout's seed, read forward and back) then never take a buffer
 * of their own, and the pool hands the same few round.
 */
function lookup(backend: UniformBackend, key: string, make: () => unknown): unknown | null {
  let cache = caches.get(backend), seen = seenIn.get(backend);
  if (!cache) caches.set(backend, (cache = new LruCache(LIMIT, (buffer) => void backend.uniformPendingDisposal.push(buffer))));
  if (!seen) seenIn.set(backend, (seen = new LruCache(4 * LIMIT)));
  const found = cache.get(key);
  if (found !== undefined) return found;
  const first = seen.getOrMake(key, () => step).value;
  return first === step ? null : cache.getOrMake(key, make).value;
}

/**
 * A uniform buffer holding `bytes` (for gatebook's own dispatches, `ops/webgpuInPlace.ts`):
 * the cached one, or a new one from tfjs's pool, written once. Uncached (a pooled buffer
 * written now and returned at the submit, as tfjs does) with GATEBOOK_WEBGPU_BIND_CACHE=0.
 */
export function uniformBuffer(backend: UniformBackend, bytes: ArrayBuffer): unknown {
  const write = () => {
    const buffer = backend.bufferManager.acquireBuffer(bytes.byteLength, usage());
    backend.device.queue.writeBuffer(buffer, 0, bytes, 0, bytes.byteLength);
    return buffer;
  };
  const cached = reuseEnabled() ? lookup(backend, `g${new Uint32Array(bytes).join(',')}`, write) : null;
  if (cached !== null) return cached;
  const buffer = write();
  backend.uniformPendingDisposal.push(buffer); // back to the pool at the submit
  return buffer;
}

/** Makes `backend.makeUniforms` (tfjs's programs' uniforms) answer from the cache. */
export function cacheUniforms(backend: UniformBackend): void {
  if (wrapped.has(backend)) return;
  wrapped.add(backend);
  const original = backend.makeUniforms.bind(backend);
  backend.makeUniforms = (uniforms) => {
    if (!reuseEnabled()) return original(uniforms);
    const buffer = lookup(backend, `t${uniforms.map((u) => `${u.type}:${u.data.map(exact).join(' ')}`).join('|')}`, () => {
      const made = original(uniforms); // tfjs's layout of the fields; its buffer is ours from now on
      const at = backend.uniformPendingDisposal.lastIndexOf(made.buffer);
      if (at >= 0) backend.uniformPendingDisposal.splice(at, 1);
      return made.buffer;
    });
    if (buffer === null) return original(uniforms); // the first time: tfjs's pooled buffer, returned at the submit
    return { offset: 0, size: (buffer as { size: number }).size, buffer }; // the pool makes a buffer of the size asked
  };
}
