import { describe, expect, it } from 'vitest';
import { BACKENDS, selectBackend } from '../../lib/backend/select';
import { microBenchmark } from '../../lib/backend/microbench';
import { tf } from '../../lib/backend/tf';

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
});
