import { describe, expect, it } from 'vitest';
import { BACKENDS, selectBackend } from '../../lib/backend/select';
import { microBenchmark } from '../../lib/backend/microbench';
import { tf } from '../../lib/backend/tf';
import { applyTfjsFlags } from '../../lib/backend/tfjsFlags';

describe('backend selection', () => {
  it('picks the best backend that loads, and says why it passed over better ones', async () => {
    const choice = await selectBackend();
    expect(tf.getBackend()).toBe(choice.tfBackend);
    const rank = (n: string) => BACKENDS.indexOf(n as (typeof BACKENDS)[number]);
    for (const s of choice.skipped) {
      expect(rank(s.name)).toBeLessThan(rank(choice.name));
      expect(s.reason.length).toBeGreaterThan(0);
    }
  });

  it('a forced backend that cannot load is an error, never a silent fallback', async () => {
    await expect(selectBackend('gpu-please')).rejects.toThrow(/invalid backend: gpu-please \(expected one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    let tfjsNode = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      tfjsNode = false;
    }
    if (!tfjsNode) await expect(selectBackend('tensorflow')).rejects.toThrow(/backend tensorflow was asked for but cannot be used: package not installed/);
    const cpu = await selectBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', tfBackend: 'cpu', forced: true });
    expect(tf.getBackend()).toBe('cpu');
    await selectBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('measures per-op overhead and matMul throughput', async () => {
    const m = await microBenchmark(64, 50);
    expect(m.opOverheadUs).toBeGreaterThan(0);
    expect(m.matmulGflops).toBeGreaterThan(0);
    expect(m.matmulSize).toBe(64);
  });

  it('GATEBOOK_TFJS_FLAGS sets tfjs flags once the backend is chosen, and a name tfjs does not know is an error naming it', async () => {
    const saved = { flags: process.env.GATEBOOK_TFJS_FLAGS, check: tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS'), topk: tf.env().getNumber('TOPK_K_CPU_HANDOFF_THRESHOLD') };
    try {
      await selectBackend('cpu');
      process.env.GATEBOOK_TFJS_FLAGS = `CHECK_COMPUTATION_FOR_ERRORS=${!saved.check}, TOPK_K_CPU_HANDOFF_THRESHOLD=${saved.topk + 7}`;
      await selectBackend('wasm'); // a new choice applies them
      expect(tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS')).toBe(!saved.check);
      expect(tf.env().getNumber('TOPK_K_CPU_HANDOFF_THRESHOLD')).toBe(saved.topk + 7);
      // webgpu's flags are registered by its backend: not there on wasm
      expect(() => applyTfjsFlags('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=30')).toThrow(/GATEBOOK_TFJS_FLAGS: WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE is not a flag of tfjs on the wasm backend/);
      expect(() => applyTfjsFlags('TOPK_K_CPU_HANDOF=3')).toThrow(/TOPK_K_CPU_HANDOF is not a flag .*its TOPK_ flags include TOPK_K_CPU_HANDOFF_THRESHOLD/);
      expect(() => applyTfjsFlags('CHECK_COMPUTATION_FOR_ERRORS')).toThrow(/"CHECK_COMPUTATION_FOR_ERRORS" is not NAME=value/);
      expect(applyTfjsFlags('')).toEqual({});
    } finally {
      if (saved.flags === undefined) delete process.env.GATEBOOK_TFJS_FLAGS;
      else process.env.GATEBOOK_TFJS_FLAGS = saved.flags;
      tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', saved.check);
      tf.env().set('TOPK_K_CPU_HANDOFF_THRESHOLD', saved.topk);
    }
  });
});
