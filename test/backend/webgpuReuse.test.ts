/**
 * Bind groups and uniform buffers made once and reused on the webgpu backend
 * (`backend/bindGroupCache.ts`, `backend/uniformCache.ts`, the submit at each training step's
 * end), on lavapipe: what is reused is what was asked for, values stay right when a reused or
 * evicted buffer is in flight, and a training step finds most of its bind groups.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lavapipeIcd, assertWebgpuHealthy } from '../../lib/backend/webgpu';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { bindGroupCacheStats, LIMIT as BIND_GROUPS, setReuse } from '../../lib/backend/bindGroupCache';
import { LIMIT as UNIFORMS, uniformBuffer, uniformsNextStep, type UniformBackend } from '../../lib/backend/uniformCache';
import { newOutputs, runInPlace, type InPlaceKernel } from '../../lib/ops/webgpuInPlace';
import { createModel, type NeuralModel } from '../../lib/models';
import { adam } from '../../lib/ops/adam';
import { deferredStep, readEvery } from '../../lib/train';
import { weightedBce } from '../../lib/train/loss';
import { F, MODELS, T } from '../../bench/models';

interface Device {
  createBuffer(d: { size: number; usage: number }): { destroy(): void };
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: object): { getBindGroupLayout(i: number): object };
  createBindGroup(d: object): object;
  createBindGroupLayout(d: object): object;
  createSampler(): object;
}
const usage = () => (globalThis as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
const device = () => (tf.backend() as unknown as { device: Device }).device;

/** A kernel writing its uniform `value` into its one-element output. */
const WRITE_VALUE: InPlaceKernel = {
  key: 'test_write_uniform_value',
  written: ['out'],
  read: [],
  uniforms: ['value : f32'],
  main: () => 'fn main(index : i32) { if (index < 1) { out[index] = uniforms.value; } }',
};

beforeAll(async () => {
  if (!lavapipeIcd()) throw new Error('no software Vulkan driver for the webgpu tests: run scripts/install-lavapipe.sh (npm test runs it through scripts/install-test-deps.sh)');
  await selectBackend('webgpu');
});

describe('bind groups made once (lavapipe)', () => {
  it('the same layout and buffers give the same bind group, another buffer a new one; a sampler is not cached; a pipeline answers one layout', () => {
    const d = device();
    const pipeline = d.createComputePipeline({
      layout: 'auto',
      compute: { module: d.createShaderModule({ code: '@group(0) @binding(0) var<storage, read_write> a : array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = 1.0; }' }), entryPoint: 'main' },
    });
    const layout = pipeline.getBindGroupLayout(0);
    expect(pipeline.getBindGroupLayout(0)).toBe(layout); // Dawn alone makes a new wrapper each call
    const [a, b] = [0, 1].map(() => d.createBuffer({ size: 16, usage: usage().STORAGE }));
    const before = bindGroupCacheStats();
    const ga = d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: a } }] });
    expect(d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: a } }] })).toBe(ga);
    const gb = d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: b } }] });
    expect(gb).not.toBe(ga);
    expect(d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: a, offset: 0, size: 8 } }] })).not.toBe(ga); // another range
    const after = bindGroupCacheStats();
    expect([after.hits - before.hits, after.misses - before.misses]).toEqual([1, 3]);

    const samplerLayout = d.createBindGroupLayout({ entries: [{ binding: 0, visibility: 4 /* COMPUTE */, sampler: {} }] });
    const sampler = d.createSampler();
    const s1 = d.createBindGroup({ layout: samplerLayout, entries: [{ binding: 0, resource: sampler }] });
    expect(d.createBindGroup({ layout: samplerLayout, entries: [{ binding: 0, resource: sampler }] })).not.toBe(s1);
    expect(bindGroupCacheStats().uncached - after.uncached).toBe(2);
    a.destroy();
    b.destroy();
    assertWebgpuHealthy('the bind groups');
  });

  it(`keeps at most ${BIND_GROUPS}: the least recently used is made again, one used meanwhile is kept`, () => {
    const d = device();
    const pipeline = d.createComputePipeline({
      layout: 'auto',
      compute: { module: d.createShaderModule({ code: '@group(0) @binding(0) var<storage, read_write> a : array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = 2.0; }' }), entryPoint: 'main' },
    });
    const layout = pipeline.getBindGroupLayout(0);
    const buffers = Array.from({ length: BIND_GROUPS + 2 }, () => d.createBuffer({ size: 16, usage: usage().STORAGE }));
    const group = (i: number) => d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: buffers[i] } }] });
    const first = group(0), second = group(1);
    for (let i = 2; i < BIND_GROUPS; i++) group(i); // full now
    expect(group(1)).toBe(second); // used: the most recent now
    group(BIND_GROUPS); // one in: the least recently used (0) out
    expect(group(1)).toBe(second);
    expect(group(0)).not.toBe(first);
    for (const b of buffers) b.destroy();
  });
});

describe('uniform buffers made once per content (lavapipe)', () => {
  it('bytes seen in an earlier training step get a buffer of their own, the same each time; bytes new in this step a pooled one', () => {
    const backend = tf.backend() as unknown as UniformBackend;
    const bytes = (v: number) => new Float32Array([v, 0, 0, 0]).buffer;
    const first = uniformBuffer(backend, bytes(1.5));
    expect(uniformBuffer(backend, bytes(1.5))).not.toBe(first); // the same step (a seed read forward and back): pooled each time
    expect(backend.uniformPendingDisposal).toContain(first); // back to the pool at the submit
    for (const v of [2.5, 0, -0]) uniformBuffer(backend, bytes(v));
    uniformsNextStep();
    const kept = uniformBuffer(backend, bytes(1.5));
    expect(backend.uniformPendingDisposal).not.toContain(kept);
    expect(uniformBuffer(backend, bytes(1.5))).toBe(kept);
    uniformsNextStep();
    expect(uniformBuffer(backend, bytes(1.5))).toBe(kept);
    expect(uniformBuffer(backend, bytes(2.5))).not.toBe(kept);
    expect(uniformBuffer(backend, bytes(-0))).not.toBe(uniformBuffer(backend, bytes(0)));
  });

  it(`dispatches recorded together each read their own uniforms, also past ${UNIFORMS} contents (buffers leaving the cache are not rewritten before their commands run)`, async () => {
    const backend = tf.backend() as unknown as UniformBackend & { bufferManager: { getNumUsedBuffers(): number } };
    const count = UNIFORMS + 100;
    const usedBefore = backend.bufferManager.getNumUsedBuffers();
    // seen in an earlier step, so each takes a cached buffer of its own (the first 100 leave the cache as the rest come)
    for (let i = 0; i < count; i++) uniformBuffer(backend, new Float32Array([1000 + i, 0, 0, 0]).buffer);
    uniformsNextStep();
    const outputs = newOutputs(Array.from({ length: count }, () => [1]));
    const batch = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 10 * count); // all in one command buffer: the first buffers leave the cache before it is submitted
    let values: Float32Array;
    try {
      outputs.forEach((out, i) => runInPlace(WRITE_VALUE, [out], [], [{ type: 'f32', value: 1000 + i }], 1));
      const all = tf.concat(outputs);
      values = (await all.data()) as Float32Array;
      tf.dispose([all, ...outputs]);
    } finally {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
    }
    expect(Array.from(values)).toEqual(Array.from({ length: count }, (_, i) => 1000 + i));
    // the cache holds at most UNIFORMS of them; the others went back to tfjs's pool
    tf.tensor1d([1]).add(1).dispose(); // a submit returns what was pending
    await tf.ones([1]).data();
    expect(backend.bufferManager.getNumUsedBuffers() - usedBefore).toBeLessThanOrEqual(UNIFORMS);
    assertWebgpuHealthy('the uniform values');
  });
});

describe('a training step reuses its bind groups (lavapipe)', () => {
  it('after three read cycles, the transformer finds ≥ 80 % of its bind groups in the cache (a step ending its command buffer; ~45 % without), with the losses of the uncached path', async () => {
    const [, family, params] = MODELS.find(([name]) => name.startsWith('transformer'))!;
    const rows = 4;
    const train = async (steps: number, from: number) => {
      const net = (createModel(family, params) as NeuralModel<Record<string, unknown>>).buildNet(F, T, 1);
      const vars = [...net.variables.values()];
      const x = tf.randomNormal([rows, T, F], 0, 1, 'float32', 1) as tf.Tensor3D;
      const y = tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 2));
      const opt = adam(1e-3);
      const losses: number[] = [];
      const pending: tf.Tensor[] = []; // read every readEvery() steps, as the loop reads (a read also ends a command buffer)
      let counts = bindGroupCacheStats();
      for (let i = 0; i < steps; i++) {
        if (i === from) counts = bindGroupCacheStats();
        pending.push(deferredStep(vars, opt, { size: rows, loss: () => weightedBce(net.forward(x, true), y) }, 1));
        if (pending.length === readEvery() || i === steps - 1) {
          const parts = pending.splice(0);
          const all = tf.stack(parts);
          losses.push(...((await all.array()) as number[][]).map((v) => v[0]));
          tf.dispose([all, ...parts]);
        }
      }
      const after = bindGroupCacheStats();
      tf.dispose([x, y, ...vars]);
      opt.dispose();
      return { losses, hits: after.hits - counts.hits, misses: after.misses - counts.misses };
    };
    // the step's own outputs (its loss and clipping factor, which Adam's dispatches read) are kept until the read, so
    // their buffers come round once a read cycle: the bind groups repeat from the second cycle
    const steps = 4 * readEvery(), from = 3 * readEvery();
    const cached = await train(steps, from);
    // 0.89 after this file's other tests (their buffers leave the pool and caches meanwhile), 0.95 alone; 0.48 without the step-end submit
    expect(cached.hits / (cached.hits + cached.misses)).toBeGreaterThanOrEqual(0.8);
    setReuse(false); // as GATEBOOK_WEBGPU_BIND_CACHE=0
    try {
      const uncached = await train(steps, from);
      expect(uncached.hits + uncached.misses).toBe(0); // the switch: every bind group made anew
      expect(cached.losses).toHaveLength(steps);
      // within 1e-5 as webgpu against cpu (webgpu.test.ts): split sums add up in a varying order (atomics)
      for (let i = 0; i < steps; i++) expect(Math.abs(cached.losses[i] - uncached.losses[i]), `step ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(uncached.losses[i])));
    } finally {
      setReuse(true);
    }
    assertWebgpuHealthy('the transformer\'s steps');
  });
});

describe('a training step makes no GPU buffer (lavapipe)', () => {
  it('between reads, the steps of each bench model create no buffer: nothing uploaded (β\'s powers stepped on the device, backprop\'s seed a uniform), every tensor\'s from the pool', async () => {
    const d = device() as Device & { createBuffer: Device['createBuffer'] };
    for (const [name, family, params] of MODELS.filter(([n]) => !n.includes('no dropout'))) {
      const rows = 4;
      const net = (createModel(family, params) as NeuralModel<Record<string, unknown>>).buildNet(F, T, 1);
      const vars = [...net.variables.values()];
      const x = tf.randomNormal([rows, T, F], 0, 1, 'float32', 1) as tf.Tensor3D;
      const y = tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 2));
      const opt = adam(1e-3);
      const pending: tf.Tensor[] = [];
      const read = async () => {
        const parts = pending.splice(0);
        const all = tf.stack(parts);
        await all.data();
        tf.dispose([all, ...parts]);
      };
      const steps = async (n: number) => {
        for (let i = 0; i < n; i++) pending.push(deferredStep(vars, opt, { size: rows, loss: () => weightedBce(net.forward(x, true), y) }, 1));
      };
      for (let cycle = 0; cycle < 2; cycle++) { // the pool fills over the first read cycles
        await steps(readEvery());
        await read();
      }
      const create = d.createBuffer;
      let made = 0;
      d.createBuffer = (descriptor) => { made++; return create.call(d, descriptor); };
      try {
        await steps(readEvery());
      } finally {
        d.createBuffer = create;
      }
      await read();
      expect(made, name).toBe(0);
      tf.dispose([x, y, ...vars]);
      opt.dispose();
    }
    assertWebgpuHealthy('the bench models\' steps');
  });
});
