/**
 * Dawn's Node bindings poll for finished GPU work with setImmediate while a read is pending;
 * gatebook spaces those polls (`lib/backend/dawnPolling.ts`). On lavapipe: a read the GPU
 * needs tens of milliseconds for is polled ~1,000 times a second instead of ~150,000, returns
 * the right values, and JavaScript's own setImmediate callbacks are not delayed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lavapipeIcd } from '../../lib/backend/webgpu';
import { dawnPolls } from '../../lib/backend/dawnPolling';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';

beforeAll(() => {
  if (!lavapipeIcd()) throw new Error('no software Vulkan driver for the webgpu tests: run scripts/install-lavapipe.sh (npm test runs it through scripts/install-test-deps.sh)');
});

/**
 * Counts what reaches the global setImmediate from native code without a name (how Dawn polls),
 * on top of whatever is installed — so it counts Dawn's polls whether or not gatebook spaces them.
 */
function countNativeImmediates(): { count: () => number; restore: () => void } {
  const installed = globalThis.setImmediate;
  let n = 0;
  const counting = function (this: unknown, callback: (...a: unknown[]) => void, ...args: unknown[]) {
    if (typeof callback === 'function' && callback.name === '' && Function.prototype.toString.call(callback).includes('[native code]')) n++;
    return installed.call(this, callback as never, ...args);
  };
  globalThis.setImmediate = counting as typeof globalThis.setImmediate;
  return { count: () => n, restore: () => void (globalThis.setImmediate = installed) };
}

/** A product the software GPU needs tens of milliseconds for, its operands, and the same on the cpu backend. */
function slowProduct(): { a: Float32Array; b: Float32Array; n: number } {
  const n = 384;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 101) / 101 - 0.5);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 97) / 97 - 0.5);
  return { a, b, n };
}

let counter: ReturnType<typeof countNativeImmediates> | null = null;
afterEach(() => {
  counter?.restore();
  counter = null;
});

describe("Dawn's polling while a read is pending", () => {
  it('a read the GPU needs tens of milliseconds for is polled ~once a millisecond and gives the right values', async () => {
    await selectBackend('cpu');
    const { a, b, n } = slowProduct();
    const expected = await tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])).matMul(tf.tensor2d(b, [n, n]))).data();
    await selectBackend('webgpu');
    const x = tf.tensor2d(a, [n, n]), y = tf.tensor2d(b, [n, n]);
    await tf.matMul(x, y).data(); // warm-up: the pipeline is compiled, buffers made
    counter = countNativeImmediates();
    const before = dawnPolls();
    const product = tf.tidy(() => {
      let p = tf.matMul(x, y).matMul(y);
      for (let i = 0; i < 6; i++) p = tf.matMul(x, y).matMul(y).add(p).sub(p); // more work, the same value
      return p;
    });
    const started = performance.now();
    const values = await product.data();
    const waited = performance.now() - started;
    const polls = counter.count();
    const after = dawnPolls();
    tf.dispose([x, y, product]);
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(worst).toBeLessThan(1e-4);
    expect(waited).toBeGreaterThan(20); // long enough for the spin to show: ~150 polls a millisecond without the spacing
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThan(3 * waited + 300); // spinning: ~150 a millisecond (64,258 in 426 ms, measured)
    // gatebook's own count saw the same polls: the first quarter millisecond at once, the rest on the timer
    expect(after.immediate + after.spaced - before.immediate - before.spaced).toBe(polls);
    expect(after.spaced - before.spaced).toBeGreaterThan(waited / 4);
  });

  it("JavaScript's own setImmediate callbacks still run at once while a read waits", async () => {
    await selectBackend('webgpu');
    const { a, b, n } = slowProduct();
    const x = tf.tensor2d(a, [n, n]), y = tf.tensor2d(b, [n, n]);
    const product = tf.tidy(() => tf.matMul(x, y).matMul(y).matMul(y));
    const order: string[] = [];
    const reading = product.data().then(() => order.push('read'));
    const timer = new Promise((resolve) => setTimeout(() => resolve(order.push('timer 5 ms')), 5));
    const immediate = new Promise((resolve) => setImmediate(() => resolve(order.push('immediate'))));
    await Promise.all([reading, timer, immediate]);
    tf.dispose([x, y, product]);
    expect(order[0]).toBe('immediate');
  });
});
