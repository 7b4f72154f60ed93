import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { dense } from '../../lib/ops/dense';
import { weightedBceOp } from '../../lib/ops/bce';
import { dropoutWith, uniformTensor } from '../../lib/ops/dropout';
import { reluDropout } from '../../lib/ops/reluDropout';
import { positionalInput } from '../../lib/ops/positionalInput';
import { logitHead } from '../../lib/ops/logitHead';
import { residualNorm } from '../../lib/ops/residualNorm';
import { uniformDraws } from '../../lib/util/random';
import { lstmSequence } from '../../lib/ops/lstmSequence';
import { causalShifts } from '../../lib/ops/causalShifts';
import { attention } from '../../lib/ops/attention';
import { layerNorm } from '../../lib/ops/layerNorm';

/**
 * Each fused op (its own backward) against its plain-op definition differentiated by
 * autograd: forward and every gradient within 1e-5, on the cpu backend and on wasm.
 * The LSTM sequence (backward through time written by hand) in every mode: each step or
 * the last, forward or reverse.
 */
const B = 3, T = 7;
const wave = (n: number, k: number, amp: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * amp);

/** U = 5 runs the wasm kernel's JavaScript loops, U = 8 its WebAssembly SIMD loops (4 units a lane group). */
function run(kind: 'reference' | 'fused' | 'wasm', reverse: boolean, sequence: boolean, U = 5): number[][] {
  const impl = kind === 'reference' ? lstmSequence.op.reference : lstmSequence.op.kernels[kind === 'wasm' ? 'wasm' : '*']!;
  return tf.tidy(() => {
    const p = tf.tensor3d(wave(B * T * 4 * U, 1.37, 1.5), [B, T, 4 * U]);
    const r = tf.tensor2d(wave(U * 4 * U, 0.71, 0.6), [U, 4 * U]);
    const outShape = sequence ? [B, T, U] : [B, U];
    const weights = tf.tensor(wave(outShape.reduce((a, b) => a * b, 1), 2.3, 1), outShape); // a loss that weighs every output differently
    const loss = (pp: tf.Tensor, rr: tf.Tensor) => impl(pp as tf.Tensor3D, rr as tf.Tensor2D, { reverse, sequence }).mul(weights).sum();
    const out = impl(p, r, { reverse, sequence });
    const [dp, dr] = tf.grads(loss)([p, r]);
    return [out, dp, dr].map((t) => Array.from(t.dataSync()));
  });
}

/**
 * An op's `*` kernel (its fused ops in turn) on `backend` against its plain-op reference on cpu:
 * `go` runs an implementation to values; every value within `tolerance`. Returns the reference's.
 */
async function composedMatchesReference<F>(backend: 'cpu' | 'wasm', op: { reference: F; kernels: Partial<Record<string, F>> }, go: (impl: F) => number[][], tolerance = 1e-5): Promise<number[][]> {
  await selectBackend('cpu');
  const expected = go(op.reference);
  await selectBackend(backend);
  const actual = go(op.kernels['*']!);
  expect(actual.map((a) => a.length)).toEqual(expected.map((e) => e.length));
  actual.forEach((a, k) => a.forEach((v, i) => expect(Math.abs(v - expected[k][i])).toBeLessThan(tolerance)));
  return expected;
}

function expectClose(actual: number[][], expected: number[][]) {
  expect(actual.map((a) => a.length)).toEqual(expected.map((e) => e.length));
  let worst = 0;
  actual.forEach((a, k) => a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[k][i])))));
  expect(worst).toBeLessThan(1e-5);
  expect(Math.max(...expected[1].map(Math.abs))).toBeGreaterThan(1e-3); // the gradients are not all ~0 (the check could fail)
}

describe('lstmSequence: fused kernel vs plain ops', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const sequence of [true, false]) {
      for (const reverse of [false, true]) {
        it(`${backend}: ${sequence ? 'every step' : 'last step'}${reverse ? ', reverse' : ''}`, async () => {
          await selectBackend('cpu');
          const expected = run('reference', reverse, sequence); // the definition, on the reference backend
          await selectBackend(backend);
          expectClose(run('fused', reverse, sequence), expected);
        });
      }
    }
  }

  // the wasm kernel: each direction's window in one call (its loops on wasm memory, XNNPACK matMuls)
  for (const units of [5, 8]) {
    for (const sequence of [true, false]) {
      for (const reverse of [false, true]) {
        it(`wasm kernel, ${units} units (${units % 4 ? 'JavaScript' : 'SIMD'} loops): ${sequence ? 'every step' : 'last step'}${reverse ? ', reverse' : ''}`, async () => {
          await selectBackend('cpu');
          const expected = run('reference', reverse, sequence, units);
          await selectBackend('wasm');
          expectClose(run('wasm', reverse, sequence, units), expected);
        });
      }
    }
  }

  for (const [backend, bias, activation] of [['cpu', true, 'linear'], ['wasm', true, 'linear'], ['cpu', true, 'relu'], ['wasm', false, 'relu'], ['wasm', false, 'linear']] as const) {
    it(`dense (${bias ? 'the bias\'s gradient as a matMul' : 'no bias'}, ${activation}): ${backend}`, async () => {
      const go = (impl: typeof dense.op.reference) => tf.tidy(() => {
        const x = tf.tensor2d(wave(9 * 6, 0.9, 2), [9, 6]);
        const w = tf.tensor2d(wave(6 * 4, 1.3, 0.5), [6, 4]);
        const b = bias ? tf.tensor1d(wave(4, 2.1, 0.3)) : undefined;
        const weights = tf.tensor2d(wave(9 * 4, 0.4, 1), [9, 4]);
        const out = impl(x, w, b, activation);
        const grads = tf.grads((...a: tf.Tensor[]) => impl(a[0] as tf.Tensor2D, a[1] as tf.Tensor2D, a[2] as tf.Tensor1D | undefined, activation).mul(weights).sum())(b ? [x, w, b] : [x, w]);
        return [out, ...grads].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, dense.op, go);
      expect(expected.map((a) => a.length)).toEqual(bias ? [36, 54, 24, 4] : [36, 54, 24]);
      if (bias) expect(Math.max(...expected[3].map(Math.abs))).toBeGreaterThan(1e-2);
      if (activation === 'relu') expect(expected[0].filter((v) => v === 0).length).toBeGreaterThan(5); // relu's zeros
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`dropout (only x differentiated): ${backend}`, async () => {
      const go = (impl: typeof dropoutWith.op.reference) => tf.tidy(() => {
        const x = tf.tensor2d(wave(30 * 7, 0.77, 2), [30, 7]);
        const draws = { seed: 5, from: 1000 };
        const weights = tf.tensor2d(wave(30 * 7, 1.9, 1), [30, 7]);
        return [impl(x, draws, 0.8), tf.grad((xx: tf.Tensor) => impl(xx, draws, 0.8).mul(weights).sum())(x)].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, dropoutWith.op, go, 1e-6);
      expect(expected[0].filter((v) => v === 0).length).toBeGreaterThan(10); // ~20 % of 210 dropped
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`layerNorm(h + dropout(x)) as the fused ops in turn: ${backend}`, async () => {
      const dropout = { draws: { seed: 9, from: 70 }, keep: 0.75 };
      const go = (impl: typeof residualNorm.op.reference) => tf.tidy(() => {
        const h = tf.tensor3d(wave(3 * 5 * 8, 0.61, 2), [3, 5, 8]);
        const x = tf.tensor3d(wave(3 * 5 * 8, 1.7, 1), [3, 5, 8]);
        const g = tf.tensor1d(wave(8, 1.1, 0.4).map((v) => v + 1));
        const b = tf.tensor1d(wave(8, 0.3, 0.2));
        const weights = tf.tensor3d(wave(3 * 5 * 8, 2.3, 1), [3, 5, 8]);
        const grads = tf.grads((hh: tf.Tensor, xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          impl(hh as tf.Tensor3D, xx as tf.Tensor3D, dropout, gg as tf.Tensor1D, bb as tf.Tensor1D).mul(weights).sum())([h, x, g, b]);
        return [impl(h, x, dropout, g, b), ...grads].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, residualNorm.op, go);
      expect(expected[2].filter((v) => v === 0).length).toBeGreaterThan(10); // ~25 % of x's gradient dropped
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`the classifier's head dropout(h)·w + b as dropout's kernel and the plain head: ${backend}`, async () => {
      const dropout = { draws: { seed: 6, from: 12 }, keep: 0.75 };
      const go = (impl: typeof logitHead.op.reference) => tf.tidy(() => {
        const [h, w, b] = [tf.tensor2d(wave(9 * 5, 0.77, 2), [9, 5]), tf.tensor2d(wave(5, 1.1, 0.5), [5, 1]), tf.tensor1d([0.2])];
        const weights = tf.tensor1d(wave(9, 1.9, 1));
        const grads = tf.grads((hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => impl(hh as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, dropout).mul(weights).sum())([h, w, b]);
        return [impl(h, w, b, dropout), ...grads].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, logitHead.op, go);
      expect(expected[1].filter((v) => v === 0).length).toBeGreaterThan(0); // some of h dropped
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`a transformer's input x·w + bias + positions as the dense op and an add: ${backend}`, async () => {
      const go = (impl: typeof positionalInput.op.reference) => tf.tidy(() => {
        const x = tf.tensor3d(wave(3 * 5 * 4, 0.77, 2), [3, 5, 4]);
        const [w, bias, positions] = [tf.tensor2d(wave(4 * 6, 1.1, 0.5), [4, 6]), tf.tensor1d(wave(6, 1.3, 0.4)), tf.tensor2d(wave(5 * 6, 0.53, 0.2), [5, 6])];
        const weights = tf.tensor3d(wave(3 * 5 * 6, 1.9, 1), [3, 5, 6]);
        const grads = tf.grads((ww: tf.Tensor, bb: tf.Tensor, pp: tf.Tensor) => impl(x, ww as tf.Tensor2D, bb as tf.Tensor1D, pp as tf.Tensor2D).mul(weights).sum())([w, bias, positions]);
        return [impl(x, w, bias, positions), ...grads].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, positionalInput.op, go);
    });
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`dropout(relu(x)) as the fused ops in turn: ${backend}`, async () => {
      const dropout = { draws: { seed: 4, from: 9 }, keep: 0.7 };
      const go = (impl: typeof reluDropout.op.reference) => tf.tidy(() => {
        const x = tf.tensor3d(wave(4 * 5 * 7, 0.77, 2), [4, 5, 7]);
        const weights = tf.tensor3d(wave(4 * 5 * 7, 1.9, 1), [4, 5, 7]);
        return [impl(x, dropout), tf.grad((xx: tf.Tensor) => impl(xx, dropout).mul(weights).sum())(x)].map((t) => Array.from(t.dataSync()));
      });
      const expected = await composedMatchesReference(backend, reluDropout.op, go, 1e-6);
      expect(expected[1].filter((v) => v !== 0).length).toBeGreaterThan(20); // some gradient passes
    });
  }

  it('uniform draws drawn into wasm memory (WebAssembly SIMD, a scalar tail) are the stream\'s values at those positions, bit for bit', async () => {
    await selectBackend('wasm');
    for (const [seed, from, shape] of [[77, 1234, [4, 5, 6]], [-5, 2 ** 31 - 50, [3, 5, 7]], [0x9e3779b9 | 0, 0, [2, 3]]] as Array<[number, number, number[]]>) {
      const size = shape.reduce((a, b) => a * b, 1);
      const drawn = tf.tidy(() => {
        tf.zeros([1000]); // other tensors in wasm memory first, so the output does not start at its beginning
        return Array.from(uniformTensor(seed, from, shape).dataSync());
      });
      expect(drawn).toEqual(Array.from(uniformDraws(seed, from, size)));
      expect(drawn).not.toEqual(Array.from(uniformDraws(seed, from + 1, size)));
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`weighted BCE (its gradient written out), with and without weights: ${backend}`, async () => {
      const go = (impl: typeof weightedBceOp.op.reference, weighted: boolean) => tf.tidy(() => {
        const z = tf.tensor1d(wave(50, 0.61, 6)); // logits up to ±6: both branches of the stable form
        const y = tf.tensor1d(wave(50, 1.7, 1).map((v) => (v > 0 ? 1 : 0)));
        const w = weighted ? tf.tensor1d(wave(50, 0.23, 0.4).map((v) => v + 1)) : undefined;
        const f = (zz: tf.Tensor) => impl(zz as tf.Tensor1D, y, w).mul(3);
        return [f(z), tf.grad(f)(z)].map((t) => Array.from(t.dataSync()));
      });
      for (const weighted of [true, false]) {
        await selectBackend('cpu');
        const expected = go(weightedBceOp.op.reference, weighted);
        await selectBackend(backend);
        const actual = go(weightedBceOp.op.kernels['*']!, weighted);
        actual.forEach((a, k) => a.forEach((v, i) => expect(Math.abs(v - expected[k][i])).toBeLessThan(1e-5)));
        expect(Math.max(...expected[1].map(Math.abs))).toBeGreaterThan(1e-3);
      }
    });
  }

  it('causal shifts, wasm kernel (one pass each way): every kernel size and dilation, shifts past the window, every stride-th step and the last steps only, JavaScript (5 channels) and SIMD (8) passes', async () => {
    const cases = [[3, 1, 5], [3, 4, 5], [2, 8, 5], [4, 3, 5], [3, 1, 8], [3, 4, 8], [2, 8, 8], [4, 3, 8], [2, 12, 8],
      [3, 2, 8, 2, 5], [2, 3, 5, 3, 3], [3, 1, 5, 1, 4], [2, 2, 8, 2, 2], [1, 1, 8, 4, 3], [1, 1, 5, 2, 1]];
    for (const [k, dilation, C, stride = 1, steps = 9] of cases) {
      const go = (impl: typeof causalShifts.op.reference) => tf.tidy(() => {
        const x = tf.tensor3d(wave(3 * 9 * C, 0.83, 2), [3, 9, C]);
        const weights = tf.tensor3d(wave(3 * steps * C * k, 1.1, 1), [3, steps, C * k]);
        return [impl(x, k, dilation, stride, steps), tf.grad((xx: tf.Tensor) => impl(xx as tf.Tensor3D, k, dilation, stride, steps).mul(weights).sum())(x)].map((t) => Array.from(t.dataSync()));
      });
      await selectBackend('cpu');
      const expected = go(causalShifts.op.reference);
      await selectBackend('wasm');
      const actual = go(causalShifts.op.kernels.wasm!);
      expectClose(actual, expected);
      // the zeros before the first step are there: the (row, block) pairs that read before it, C wide, in each of 3 rows of the batch
      let before = 0;
      for (let i = 0; i < steps; i++) for (let j = 0; j < k; j++) if (8 - (steps - 1 - i) * stride - j * dilation < 0) before++;
      expect(expected[0].filter((v) => v === 0).length).toBeGreaterThanOrEqual(3 * C * before);
      expect(expected[1].filter((v) => v === 0).length).toBe(expected[1].length - 3 * C * new Set(Array.from({ length: steps * k }, (_, n) => 8 - (steps - 1 - Math.floor(n / k)) * stride - (n % k) * dilation).filter((r) => r >= 0)).size); // the gradient reaches exactly the steps read
    }
  });

  it('attention, wasm kernel (heads split and merged in one pass, the softmax gradient in one): 1, 2 and 4 heads, JavaScript (9 steps) and SIMD (8 steps, 16 wide) passes', async () => {
    for (const [heads, T, D] of [[1, 9, 8], [2, 9, 8], [4, 9, 8], [1, 8, 16], [2, 8, 16], [4, 8, 16]]) {
      const go = (impl: typeof attention.op.reference) => tf.tidy(() => {
        const [q, k, v] = [0.37, 0.91, 1.53].map((f) => tf.tensor3d(wave(3 * T * D, f, 1.5), [3, T, D]));
        const weights = tf.tensor3d(wave(3 * T * D, 2.3, 1), [3, T, D]);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => impl(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, heads).mul(weights).sum())([q, k, v]);
        return [impl(q, k, v, heads), ...grads].map((t) => Array.from(t.dataSync()));
      });
      await selectBackend('cpu');
      const expected = go(attention.op.reference);
      await selectBackend('wasm');
      expectClose(go(attention.op.kernels.wasm!), expected);
      expect(Math.max(...expected[2].map(Math.abs))).toBeGreaterThan(1e-3); // the keys' gradient too
    }
  });

  it('layer norm, wasm kernel (one pass each way): output and the three gradients, SIMD (16 wide) and JavaScript (6 wide) passes', async () => {
    for (const D of [16, 6]) {
      const go = (impl: typeof layerNorm.op.reference) => tf.tidy(() => {
        const x = tf.tensor3d(wave(5 * 7 * D, 0.37, 2).map((v, i) => v + (i % D === 3 ? 4 : 0)), [5, 7, D]); // an off-centre feature: the mean matters
        const g = tf.tensor1d(wave(D, 1.3, 0.5).map((v) => v + 1));
        const b = tf.tensor1d(wave(D, 0.9, 0.3));
        const weights = tf.tensor3d(wave(5 * 7 * D, 2.1, 1), [5, 7, D]);
        const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => impl(xx as tf.Tensor3D, gg as tf.Tensor1D, bb as tf.Tensor1D).mul(weights).sum())([x, g, b]);
        return [impl(x, g, b), ...grads].map((t) => Array.from(t.dataSync()));
      });
      await selectBackend('cpu');
      const expected = go(layerNorm.op.reference);
      await selectBackend('wasm');
      const before = tf.memory().numTensors;
      expectClose(go(layerNorm.op.kernels.wasm!), expected);
      expect(tf.memory().numTensors).toBe(before); // the saved x̂ and 1/σ are freed with the backward pass
      expect(Math.max(...expected[1].map(Math.abs))).toBeGreaterThan(1e-3);
      expect(Math.max(...expected[2].map(Math.abs))).toBeGreaterThan(1e-3);
    }
  });

  it('frees every tensor it makes (forward and backward)', async () => {
    await selectBackend('cpu');
    run('fused', true, true);
    const before = tf.memory().numTensors;
    run('fused', true, true);
    run('fused', false, false);
    expect(tf.memory().numTensors).toBe(before);
  });
});
