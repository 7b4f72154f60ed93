import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { wasmKernelContext, type WasmKernelContext } from './wasmBackend';
import { f32, flatProgram, runProgram } from './webgpuProgram';

/**
 * Scaled dot-product self-attention with `heads` heads over projected queries, keys and
 * values q, k, v [b, t, d] → [b, t, d]: per head softmax(q·kᵀ/√dh)·v (dh = d / heads). The
 * heads are column blocks of d; an "entry" below is one (batch row, head) pair.
 */
function reference(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [b, t, d] = q.shape;
  const dh = d / heads;
  const split = (m: tf.Tensor3D) => m.reshape([b, t, heads, dh]).transpose([0, 2, 1, 3]).reshape([b * heads, t, dh]) as tf.Tensor3D;
  const weights = tf.softmax(tf.matMul(split(q), split(k), false, true).div(Math.sqrt(dh)));
  return tf.matMul(weights, split(v)).reshape([b, heads, t, dh]).transpose([0, 2, 1, 3]).reshape([b, t, d]) as tf.Tensor3D;
}

// ---- wasm: the heads split and merged in one JavaScript pass each (no 4-D transposes), the
// softmax's gradient in one pass, the products through XNNPACK (one call per entry).

/** [b, t, d] → [b·heads, t, dh] (or its per-entry transpose [b·heads, dh, t]), times `scale`. */
function splitHeads(c: WasmKernelContext, x: tf.Tensor, heads: number, transposed: boolean, scale = 1): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const dh = d / heads;
  const out = c.output(transposed ? [b * heads, dh, t] : [b * heads, t, dh]);
  const X = c.heap(x), O = c.heap(out);
  for (let row = 0; row < b; row++) {
    for (let h = 0; h < heads; h++) {
      const e = (row * heads + h) * t * dh;
      for (let i = 0; i < t; i++) {
        const from = (row * t + i) * d + h * dh;
        if (transposed) for (let j = 0; j < dh; j++) O[e + j * t + i] = X[from + j] * scale;
        else for (let j = 0; j < dh; j++) O[e + i * dh + j] = X[from + j] * scale;
      }
    }
  }
  return c.tensor(out);
}

/** [b·heads, t, dh] → [b, t, d], times `scale`. */
function mergeHeads(c: WasmKernelContext, x: tf.Tensor, batch: number, heads: number, scale = 1): tf.Tensor3D {
  const [, t, dh] = x.shape;
  const d = heads * dh;
  const out = c.output([batch, t, d]);
  const X = c.heap(x), O = c.heap(out);
  for (let row = 0; row < batch; row++) {
    for (let h = 0; h < heads; h++) {
      const e = (row * heads + h) * t * dh;
      for (let i = 0; i < t; i++) {
        const to = (row * t + i) * d + h * dh;
        for (let j = 0; j < dh; j++) O[to + j] = X[e + i * dh + j] * scale;
      }
    }
  }
  return c.tensor(out);
}

/**
 * The softmax's gradient row by row, dS = P ⊙ (dP − Σⱼ dP ⊙ P), written with its per-entry
 * transpose dSᵀ and P's, Pᵀ: dK = dSᵀ·q and dV = Pᵀ·dO then need no transposed matMul (a
 * separate pass over [b·heads, t, t] each, cold in memory, took ~7 ms a layer at 128 rows;
 * here an entry's block is still in cache).
 */
function softmaxGrad(c: WasmKernelContext, p: tf.Tensor, dp: tf.Tensor): { dS: tf.Tensor3D; dST: tf.Tensor3D; pT: tf.Tensor3D } {
  const n = p.shape[p.shape.length - 1];
  const [dS, dST, pT] = [c.output(p.shape), c.output(p.shape), c.output(p.shape)];
  const P = c.heap(p), DP = c.heap(dp), O = c.heap(dS), OT = c.heap(dST), PT = c.heap(pT);
  for (let at = 0; at < P.length; at += n) {
    const entry = at - (at % (n * n)), i = (at - entry) / n;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += DP[at + j] * P[at + j];
    for (let j = 0; j < n; j++) {
      const v = P[at + j] * (DP[at + j] - dot);
      O[at + j] = v;
      OT[entry + j * n + i] = v;
      PT[entry + j * n + i] = P[at + j];
    }
  }
  return { dS: c.tensor(dS), dST: c.tensor(dST), pT: c.tensor(pT) };
}

function wasm(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, , d] = q.shape;
  const scale = 1 / Math.sqrt(d / heads);
  const body = (qq: tf.Tensor3D, kk: tf.Tensor3D, vv: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const c = wasmKernelContext();
    const qs = splitHeads(c, qq, heads, false, scale); // scaled queries: S = qs·kᵀ
    const weights = tf.softmax(tf.matMul(qs, splitHeads(c, kk, heads, true)));
    save([weights, qs, kk, vv]);
    return {
      value: mergeHeads(c, tf.matMul(weights, splitHeads(c, vv, heads, false)), batch, heads),
      gradFunc: (dy: tf.Tensor, [p, qSaved, kSaved, vSaved]: tf.Tensor[]) => {
        const dO = splitHeads(c, dy, heads, false);
        const { dS, dST, pT } = softmaxGrad(c, p, tf.matMul(dO, splitHeads(c, vSaved, heads, true)));
        const dV = tf.matMul(pT, dO);
        const dQ = tf.matMul(dS, splitHeads(c, kSaved, heads, false));
        const dK = tf.matMul(dST, qSaved); // qs is already scaled
        return [mergeHeads(c, dQ, batch, heads, scale), mergeHeads(c, dK, batch, heads), mergeHeads(c, dV, batch, heads)];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(q, k, v) as tf.Tensor3D;
}

// ---- webgpu: two dispatches forward (the weights P, then P·v into the [b, t, d] layout), four
// back (dv, dS, dq, dk), each thread one output element or one row of P.

/** WGSL helpers for an entry e = row·H + h: element (i, c) of q/k/v/dy read from the [b, t, d] layout. */
function shapeCode(t: number, dh: number, heads: number): string {
  return `
      const T = ${t};
      const DH = ${dh};
      const H = ${heads};
      const D = ${heads * dh};
      fn at(e : i32, i : i32, c : i32) -> i32 { return ((e / H) * T + i) * D + (e % H) * DH + c; }`;
}

/** One thread per (entry, query row): the row of P = softmax(scale · q kᵀ), written to [E, T, T]. */
function weightsProgram(entries: number, t: number, dh: number, heads: number, scale: number) {
  return flatProgram(`gatebook_attention_weights_${t}_${dh}_${heads}`, [entries, t, t], entries * t, ['Q', 'K'], `${shapeCode(t, dh, heads)}
      fn main(index : i32) {
        if (index < uniforms.size / T) {
          let e = index / T;
          let i = index % T;
          var s : array<f32, ${t}>;
          var top = -3.0e38;
          for (var j = 0; j < T; j++) {
            var dot = 0.0;
            for (var c = 0; c < DH; c++) { dot = dot + Q[at(e, i, c)] * K[at(e, j, c)]; }
            s[j] = dot * ${f32(scale)};
            top = max(top, s[j]);
          }
          var total = 0.0;
          for (var j = 0; j < T; j++) { s[j] = exp(s[j] - top); total = total + s[j]; }
          for (var j = 0; j < T; j++) { result[index * T + j] = s[j] / total; }
        }
      }`, { size: true });
}

/** One thread per output element (entry, i, c) of A·X into the [b, t, d] layout; A [E, T, T] (read transposed with `transposeA`), X from [b, t, d]. */
function productProgram(name: string, entries: number, t: number, dh: number, heads: number, transposeA: boolean, scale: number) {
  const d = heads * dh;
  const a = transposeA ? 'A[(e * T + j) * T + i]' : 'A[(e * T + i) * T + j]';
  return flatProgram(`gatebook_attention_${name}_${t}_${dh}_${heads}`, [entries / heads, t, d], entries * t * dh, ['A', 'X'], `${shapeCode(t, dh, heads)}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % DH;
          let i = (index / DH) % T;
          let e = index / (DH * T);
          var acc = 0.0;
          for (var j = 0; j < T; j++) { acc = acc + ${a} * X[at(e, j, c)]; }
          result[at(e, i, c)] = acc * ${f32(scale)};
        }
      }`, { size: true });
}

/** One thread per (entry, row i): dS's row = P ⊙ (dP − Σ dP ⊙ P), dP = dO·vᵀ computed on the way. */
function scoresGradProgram(entries: number, t: number, dh: number, heads: number) {
  return flatProgram(`gatebook_attention_dscores_${t}_${dh}_${heads}`, [entries, t, t], entries * t, ['P', 'DY', 'V'], `${shapeCode(t, dh, heads)}
      fn main(index : i32) {
        if (index < uniforms.size / T) {
          let e = index / T;
          let i = index % T;
          var dp : array<f32, ${t}>;
          var dot = 0.0;
          for (var j = 0; j < T; j++) {
            var acc = 0.0;
            for (var c = 0; c < DH; c++) { acc = acc + DY[at(e, i, c)] * V[at(e, j, c)]; }
            dp[j] = acc;
            dot = dot + acc * P[index * T + j];
          }
          for (var j = 0; j < T; j++) { result[index * T + j] = P[index * T + j] * (dp[j] - dot); }
        }
      }`, { size: true });
}

/** The longest window the webgpu kernels take (a row of P lives in each thread's private memory). */
const WEBGPU_MAX_STEPS = 512;

function webgpu(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, t, d] = q.shape;
  if (t > WEBGPU_MAX_STEPS) return reference(q, k, v, heads);
  const dh = d / heads;
  const entries = batch * heads;
  const scale = 1 / Math.sqrt(dh);
  const body = (qq: tf.Tensor3D, kk: tf.Tensor3D, vv: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const p = runProgram(weightsProgram(entries, t, dh, heads, scale), [qq, kk]);
    save([p, qq, kk, vv]);
    return {
      value: runProgram(productProgram('out', entries, t, dh, heads, false, 1), [p, vv]) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, [pSaved, qSaved, kSaved, vSaved]: tf.Tensor[]) => {
        const dS = runProgram(scoresGradProgram(entries, t, dh, heads), [pSaved, dy, vSaved]);
        return [
          runProgram(productProgram('dq', entries, t, dh, heads, false, scale), [dS, kSaved]),
          runProgram(productProgram('dk', entries, t, dh, heads, true, scale), [dS, qSaved]),
          runProgram(productProgram('dv', entries, t, dh, heads, true, 1), [pSaved, dy]),
        ];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(q, k, v) as tf.Tensor3D;
}

export const attention = fusedOp<[tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, number], tf.Tensor3D>({ name: 'attention', reference, kernels: { wasm, webgpu } });
