import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { buildLstm } from '../../lib/models/lstm';
import { weightedBce } from '../../lib/train/loss';

/** Run `fn` on a backend and return plain arrays (so results can be compared across backends). */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await selectBackend(backend);
  return tf.tidy(() => [fn()].flat().map((t) => Array.from(t.dataSync())));
}

const values = Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.sin(i * 1.7) * 3);
const x = () => tf.tensor3d(values, [2, 5, 7]);

describe('wasm kernels (in-place slice, untransposed matMul) agree with the cpu backend', () => {
  it('slice, unstack and split', async () => {
    const ops = () => [x().slice([1, 1, 2], [1, 3, 4]), x().slice([0, 2, 0], [2, 2, 7]), ...tf.unstack(x(), 1), ...tf.split(x(), [2, 5], 2)];
    expect(await on('wasm', ops)).toEqual(await on('cpu', ops));
  });

  it('concat along every axis, of floats and ints, with an empty input', async () => {
    const ops = () => [
      tf.concat([x(), x().mul(2)], 0), tf.concat([x(), x().slice([0, 0, 0], [2, 2, 7])], 1), tf.concat([x(), x().slice([0, 0, 1], [2, 5, 3]), x().neg()], 2),
      tf.concat([x().toInt(), x().toInt().add(1)], 2), tf.concat([x(), tf.zeros([2, 5, 0])], 2), tf.concat([tf.tensor1d([1, 2]), tf.tensor1d([3])]),
    ];
    expect(await on('wasm', ops)).toEqual(await on('cpu', ops));
  });

  it('transpose: the last two axes (2-D, batched, ints, bools, wider than a band, SIMD blocks) and any other permutation', async () => {
    const wide = () => tf.tensor2d(Array.from({ length: 70 * 130 }, (_, i) => (i * 7919) % 1000), [70, 130]);
    // rows and columns multiples of 4: WebAssembly SIMD blocks (floats and ints), else the JavaScript bands
    const blocks = () => tf.tensor3d(Array.from({ length: 3 * 8 * 12 }, (_, i) => Math.sin(i * 0.37) * 5), [3, 8, 12]);
    const tall = () => tf.tensor2d(Array.from({ length: 68 * 132 }, (_, i) => (i * 7919) % 1000), [68, 132]);
    const ops = () => [
      tf.transpose(x().reshape([10, 7])), tf.transpose(x(), [0, 2, 1]), tf.transpose(x().toInt(), [0, 2, 1]), tf.transpose(wide()), tf.transpose(x(), [2, 0, 1]), tf.transpose(x(), [1, 0, 2]),
      tf.transpose(blocks(), [0, 2, 1]), tf.transpose(blocks().toInt(), [0, 2, 1]), tf.transpose(tall()), tf.transpose(tf.transpose(tall())), tf.transpose(blocks().greater(0), [0, 2, 1]),
    ];
    expect(await on('wasm', ops)).toEqual(await on('cpu', ops));
  });

  it('matMul with every transpose combination, batched and fused', async () => {
    const a = () => tf.tensor2d(values.slice(0, 35), [5, 7]);
    const b = () => tf.tensor2d(values.slice(10, 45), [7, 5]);
    const ops = () => [
      tf.matMul(a(), b()), tf.matMul(a(), a(), false, true), tf.matMul(b(), b(), true, false), tf.matMul(a(), b(), true, true),
      tf.matMul(x(), x(), false, true), tf.fused.matMul({ a: a(), b: a(), transposeB: true, bias: tf.ones([5]), activation: 'relu' }),
    ];
    const [wasm, cpu] = [await on('wasm', ops), await on('cpu', ops)];
    wasm.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(cpu[i][j], 3)));
  });

  it('a·b and aᵀ·b of one matrix each by gatebook\'s SIMD kernels (tiles of 4 rows × 8 columns, the rows past a multiple of 4 one at a time, the columns past a multiple of 8 four at a time; aᵀ·b over chunks of 128 rows), and batched a·b with an unbatched b, equal the cpu backend', async () => {
    const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.2) * 2);
    // [m, k]ᵀ·[m, n] and [m, k]·[k, n]: k and m at, under and past a multiple of 4; m under, at and past a chunk; n 8, 16, 264, and 4, 12, 60 (a last tile 4 wide); n 6 (not a multiple of 4: XNNPACK)
    const shapes = [[1, 4, 8], [5, 1, 8], [37, 7, 16], [128, 12, 8], [300, 31, 264], [129, 64, 16], [40, 6, 12], [9, 5, 4], [61, 16, 60], [10, 3, 6]];
    const ops = () => shapes.flatMap(([m, k, n]) => {
      const a = tf.tensor2d(wave(m * k, 0.37), [m, k]), b = tf.tensor2d(wave(m * n, 1.13), [m, n]), w = tf.tensor2d(wave(k * n, 0.71), [k, n]);
      return [
        tf.matMul(a, b, true, false), tf.matMul(a.reshape([1, m, k]) as tf.Tensor3D, b.reshape([1, m, n]) as tf.Tensor3D, true, false),
        tf.matMul(a, w), tf.matMul(a.reshape([1, m, k]) as tf.Tensor3D, w.reshape([1, k, n]) as tf.Tensor3D), tf.matMul(a.reshape([1, 1, m, k]) as tf.Tensor4D, w),
      ];
    });
    const [wasm, cpu] = [await on('wasm', ops), await on('cpu', ops)];
    expect(wasm.map((w) => w.length)).toEqual(shapes.flatMap(([m, k, n]) => [k * n, k * n, m * n, m * n, m * n]));
    let worst = 0;
    wasm.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - cpu[i][j]) / (1 + Math.abs(cpu[i][j]))))));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...cpu[20].map(Math.abs))).toBeGreaterThan(1); // the sums are not trivially small
    expect(Math.max(...cpu[22].map(Math.abs))).toBeGreaterThan(1);
  });

  it('batched matMul (gatebook\'s kernel on each entry in place, or an XNNPACK call per entry where n is not a multiple of 4, or one call when b has no batch) and its gradients', async () => {
    // entries of 20×16·16×20 = 6,400 multiply-adds: above the size where the stock loop is kept
    const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.2));
    const a = () => tf.tensor4d(wave(2 * 3 * 20 * 16, 1.31), [2, 3, 20, 16]);
    const b = () => tf.tensor4d(wave(2 * 3 * 16 * 20, 0.77), [2, 3, 16, 20]);
    const ops = () => {
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p as tf.Tensor4D, q as tf.Tensor4D).square().sum())([a(), b()]);
      return [
        tf.matMul(a(), b()), tf.matMul(a(), a(), false, true), tf.matMul(b(), b(), true, false), tf.matMul(a(), b(), true, true),
        tf.matMul(a(), tf.tensor2d(wave(16 * 20, 0.5), [16, 20])), da, db, tf.matMul(a(), tf.tensor4d(wave(2 * 3 * 16 * 18, 0.29), [2, 3, 16, 18])),
      ];
    };
    const [wasm, cpu] = [await on('wasm', ops), await on('cpu', ops)];
    expect(wasm.map((w) => w.length)).toEqual(cpu.map((c) => c.length));
    let worst = 0;
    wasm.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - cpu[i][j]) / (1 + Math.abs(cpu[i][j]))))));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...cpu[5].map(Math.abs))).toBeGreaterThan(1);
  });

  it('LSTM training losses match the cpu backend step by step', async () => {
    const losses = async (backend: 'cpu' | 'wasm') => {
      await selectBackend(backend);
      const net = buildLstm({ layers: 2, units: 8, bidirectional: true, dropout: 0 }, 7, 5, 3);
      const vars = [...net.variables.values()];
      const opt = tf.train.adam(0.01);
      const y = tf.tensor1d([1, 0]);
      const out: number[] = [];
      for (let s = 0; s < 4; s++) {
        out.push(tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => weightedBce(net.forward(x(), true), y), vars);
          opt.applyGradients(grads);
          return value.dataSync()[0];
        }));
      }
      tf.dispose([...vars, y]);
      opt.dispose();
      return out;
    };
    const [wasm, cpu] = [await losses('wasm'), await losses('cpu')];
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i])).toBeLessThan(1e-5));
    expect(wasm[3]).toBeLessThan(wasm[0]);
  });
});
