/**
 * Bind groups made once and reused: a WebGPU device's `createBindGroup` answered from a cache
 * keyed by the layout and the buffers bound (each by identity, with its offset and size).
 *
 * tfjs's webgpu backend (and gatebook's in-place kernels) make a new bind group for every
 * dispatch — ~28 µs of Dawn's time on the main thread each (lavapipe here), where a training
 * step's recording, not the GPU, bounds its speed (docs/gpu.md). A training step repeats the
 * same dispatches over the same pooled buffers, so most of them find theirs here.
 *
 * Safe because a bind group is immutable and names buffers, not their contents; a buffer tfjs
 * destroys (its read-back staging buffers) is never bound again, and a new buffer gets a new
 * identity, so an entry naming a destroyed one is only never found again (the oldest entries go
 * once there are LIMIT). `getBindGroupLayout` is answered once per pipeline, so the layout's
 * identity is stable (Dawn makes a new wrapper object at each call). Entries that bind anything
 * but a buffer (a texture, a sampler) are not cached. With GATEBOOK_WEBGPU_BIND_CACHE=0 every
 * call makes a new one (`reuseEnabled`).
 */

import { LruCache } from '../util/lruCache';

type Entry = { binding: number; resource: { buffer?: object; offset?: number; size?: number } | object };
interface Device { createBindGroup(descriptor: { layout: object; entries: Entry[]; label?: string }): object }

/** Most bind groups kept (a transformer's step makes ~70; a pipeline run with several models a few hundred) */
export const LIMIT = 4096;

const stats = { hits: 0, misses: 0, uncached: 0 };
const caches = new WeakMap<Device, LruCache<string, object>>();
/** each pipeline's layouts by index, and the prototypes whose getBindGroupLayout answers from it */
const pipelineLayouts = new WeakMap<object, object[]>();
const layouts = new WeakSet<object>();
const ids = new WeakMap<object, number>();
let nextId = 1;

function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/** GATEBOOK_WEBGPU_BIND_CACHE, read once (process.env is a native call: ~150 a step here) */
let reuse = process.env.GATEBOOK_WEBGPU_BIND_CACHE !== '0';

/**
 * Whether bind groups and uniform buffers are reused, and a training step ends its command
 * buffer (`webgpu.ts` submitWebgpuWork): not with GATEBOOK_WEBGPU_BIND_CACHE=0 (the A/B
 * switch of bench/device/run.sh) or after `setReuse(false)`.
 */
export function reuseEnabled(): boolean {
  return reuse;
}

/** Turns the reuse on or off in this process (a test compares both paths); what was cached stays until it is on again. */
export function setReuse(on: boolean): void {
  reuse = on;
}

/** Hits, misses and bind groups made uncached since the process started (for tests and the bench). */
export function bindGroupCacheStats(): { hits: number; misses: number; uncached: number } {
  return { ...stats };
}

/**
 * Makes `device.createBindGroup` use the cache (once per device), and `getBindGroupLayout` of
 * `pipelinePrototype`'s pipelines answer one layout object per pipeline and index.
 */
export function cacheBindGroups(device: Device, pipelinePrototype?: { getBindGroupLayout(index: number): object }): void {
  if (pipelinePrototype && !layouts.has(pipelinePrototype)) {
    const original = pipelinePrototype.getBindGroupLayout;
    layouts.add(pipelinePrototype);
    pipelinePrototype.getBindGroupLayout = function (this: object, index: number) {
      let list = pipelineLayouts.get(this);
      if (!list) pipelineLayouts.set(this, (list = []));
      return (list[index] ??= original.call(this, index));
    };
  }
  if (caches.has(device)) return;
  const cache = new LruCache<string, object>(LIMIT);
  caches.set(device, cache);
  const create = device.createBindGroup.bind(device);
  device.createBindGroup = (descriptor) => {
    if (!reuseEnabled()) return create(descriptor);
    const parts = [idOf(descriptor.layout)];
    for (const e of descriptor.entries) {
      const r = e.resource as { buffer?: object; offset?: number; size?: number };
      if (!r || typeof r !== 'object' || !r.buffer) {
        stats.uncached++;
        return create(descriptor);
      }
      parts.push(e.binding, idOf(r.buffer), r.offset ?? 0, r.size ?? -1);
    }
    const { value, hit } = cache.getOrMake(parts.join(','), () => create(descriptor));
    if (hit) stats.hits++;
    else stats.misses++;
    return value;
  };
}

