import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../lib/backend/select';
import { tf } from '../../lib/backend/tf';
import { buildTcn, tcnSteps, type StepGrid, type TcnParams } from '../../lib/models/tcn';
import { causalShifts } from '../../lib/ops/causalShifts';

const wave = (n: number, k: number, amp: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * amp);

/** The steps back from the last that a grid holds. */
const offsets = (g: StepGrid) => new Set(Array.from({ length: g.steps }, (_, m) => m * g.stride));

/**
 * By brute force: the steps (counted back from the last) each layer's value is read at, for
 * the last block's last step — sets walked back through every tap, nothing assumed of their shape.
 */
function readSteps(window: number, k: number, dilations: number[]) {
  const out: { input: Set<number>; inner: Set<number>; output: Set<number> }[] = [];
  let need = new Set([0]);
  for (let i = dilations.length - 1; i >= 0; i--) {
    const output = need;
    const taps = (of: Set<number>) => new Set([...of].flatMap((o) => Array.from({ length: k }, (_, j) => o + j * dilations[i])).filter((o) => o < window));
    const inner = taps(output);
    const input = new Set([...taps(inner), ...output]);
    out.unshift({ input, inner, output });
    need = input;
  }
  return out;
}

/** The TCN at every step of every layer, written out from the net's own weights with the plain-op unfolding: the definition the pruned net must equal. */
function everyStep(vars: Map<string, tf.Variable>, x: tf.Tensor3D, p: TcnParams): tf.Tensor1D {
  let h = x;
  p.dilations.forEach((d, i) => {
    const conv = (z: tf.Tensor3D, w: string, b: string) => {
      const [n, t, c] = z.shape;
      const wide = causalShifts.op.reference(z, p.kernelSize, d).reshape([n * t, p.kernelSize * c]) as tf.Tensor2D;
      return tf.matMul(wide, vars.get(w)!).add(vars.get(b)!).reshape([n, t, -1]).relu() as tf.Tensor3D;
    };
    const y = conv(conv(h, `tcn${i}_conv1`, `tcn${i}_bias1`), `tcn${i}_conv2`, `tcn${i}_bias2`);
    const skip = vars.get(`tcn${i}_skip`);
    const [n, t, c] = h.shape;
    const residual = skip ? tf.matMul(h.reshape([n * t, c]) as tf.Tensor2D, skip).reshape([n, t, -1]) : h;
    h = y.add(residual).relu() as tf.Tensor3D;
  });
  const [n, t, c] = h.shape;
  return tf.matMul(h.slice([0, t - 1, 0], [n, 1, c]).reshape([n, c]) as tf.Tensor2D, vars.get('head_kernel')!).add(vars.get('head_bias')!).reshape([-1]) as tf.Tensor1D;
}

const configs: [string, number, number, Partial<TcnParams>][] = [
  ['the default: k 3, dilations 1 2 4 8, 60 steps (receptive field 61)', 60, 31, {}],
  ['a first dilation above 1 (the input itself is read every other step)', 17, 5, { kernelSize: 2, dilations: [2, 6], channels: 8 }],
  ['dilations that fall, and share no factor', 23, 4, { kernelSize: 3, dilations: [3, 2, 5], channels: 6 }],
  ['one block, a window shorter than its reach', 5, 3, { kernelSize: 4, dilations: [2], channels: 4 }],
];

describe('the TCN computes only the steps its last step reads', () => {
  it('each layer holds every step the last output reads through it (found by brute force), and no step before the first', () => {
    for (const [window, k, dilations] of [[60, 3, [1, 2, 4, 8]], [17, 2, [2, 6]], [23, 3, [3, 2, 5]], [5, 4, [2]], [40, 5, [1, 3, 9]], [9, 2, [1, 1, 1, 1]]] as [number, number, number[]][]) {
      const plan = tcnSteps(window, k, dilations);
      readSteps(window, k, dilations).forEach((needed, i) => {
        for (const layer of ['input', 'inner', 'output'] as const) {
          const held = offsets(plan[i][layer]);
          for (const o of needed[layer]) expect(held.has(o), `block ${i} ${layer} at ${o} back (window ${window}, k ${k}, dilations ${dilations})`).toBe(true);
          expect(Math.max(...held)).toBeLessThan(window);
        }
      });
    }
    // the default does about a third of the multiply-adds of every step in every layer
    const plan = tcnSteps(60, 3, [1, 2, 4, 8]);
    const macs = plan.reduce((sum, b, i) => sum + (b.inner.steps * 3 * (i === 0 ? 31 : 32) + b.output.steps * 3 * 32 + (i === 0 ? b.output.steps * 31 : 0)) * 32, 0);
    const full = 60 * 32 * (3 * 31 + 3 * 32 + 31) + 3 * 60 * 32 * 6 * 32;
    expect(macs / full).toBeGreaterThan(0.25);
    expect(macs / full).toBeLessThan(0.4);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const [what, window, features, params] of configs) {
      it(`${backend}: ${what} — the same output and gradients as every step computed`, async () => {
        await selectBackend(backend);
        const p = { channels: 8, kernelSize: 3, dilations: [1, 2, 4, 8], dropout: 0, ...params } as TcnParams;
        const net = buildTcn(p, features, window, 7);
        const vars = net.variables;
        const x = tf.tensor3d(wave(3 * window * features, 0.71, 1.5), [3, window, features]);
        const weights = tf.tensor1d([1.3, -0.7, 2.1]);
        const go = (f: () => tf.Tensor1D) => tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => f().mul(weights).sum() as tf.Scalar, [...vars.values()]);
          return [f(), value, ...Object.keys(grads).sort().map((name) => grads[name])].map((t) => Array.from(t.dataSync()));
        });
        const pruned = go(() => net.forward(x, true));
        const expected = go(() => everyStep(vars, x, p));
        expected.forEach((e, i) => e.forEach((v, j) => expect(Math.abs(pruned[i][j] - v), `tensor ${i} value ${j}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)))));
        expect(expected.slice(2).every((g) => g.some((v) => Math.abs(v) > 1e-4))).toBe(true); // every weight gets a gradient
        tf.dispose([...vars.values(), x, weights]);
      });
    }
  }
});
