import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { watFor, wasmModule, watGet as get, watLaneSum } from '../backend/wasmModules';
import { transposeBlocks } from '../backend/wasmTranspose';
import { wasmKernelContext, type WasmKernelContext } from './wasmBackend';
import { f32, flatProgram, runProgram } from './webgpuProgram';
import { inPlaceAvailable, newOutputs, runInPlace, type InPlaceKernel } from './webgpuInPlace';

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
// softmax's gradient in one pass, the products through the wasm BatchMatMul (gatebook's kernel on
// each entry in place: `backend/wasmKernels.ts`).

/**
 * The heads' moves and the softmax gradient's rows in WebAssembly SIMD, for head widths and
 * window lengths that are multiples of 4 (16 bytes a move; a per-entry transpose through
 * `wasmTranspose.ts`); the JavaScript passes below otherwise. Pointers are byte offsets.
 */
interface AttentionLoops {
  /** [b, t, d] → [b·heads, t, dh] (merge: back), times scale */
  split(x: number, out: number, batch: number, t: number, heads: number, dh: number, scale: number): void;
  merge(x: number, out: number, batch: number, t: number, heads: number, dh: number, scale: number): void;
  /** row by row over n columns: O = P ⊙ (dP − Σⱼ dP ⊙ P) */
  softmaxGradRows(p: number, dp: number, o: number, rows: number, n: number): void;
}

function attentionLoopsText(): string {
  // byte addresses of element (row, i, head h, j) in the [b, t, d] layout and in [b·heads, t, dh]
  const wide = `(i32.shl (i32.add (i32.add (i32.mul (i32.add (i32.mul ${get('$row')} ${get('$t')}) ${get('$i')}) ${get('$d')}) (i32.mul ${get('$h')} ${get('$dh')})) ${get('$j')}) (i32.const 2))`;
  const entry = `(i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get('$row')} ${get('$heads')}) ${get('$h')}) ${get('$t')}) ${get('$i')}) ${get('$dh')}) ${get('$j')}) (i32.const 2))`;
  const move = (from: string, to: string) => `(func (export "${from === wide ? 'split' : 'merge'}") (param $x i32) (param $out i32) (param $batch i32) (param $t i32) (param $heads i32) (param $dh i32) (param $scale f32)
    (local $row i32) (local $i i32) (local $h i32) (local $j i32) (local $d i32) (local $s v128)
    (local.set $d (i32.mul ${get('$heads')} ${get('$dh')}))
    (local.set $s (f32x4.splat ${get('$scale')}))
    ${watFor('$row', '(i32.const 0)', get('$batch'), 1, watFor('$i', '(i32.const 0)', get('$t'), 1, watFor('$h', '(i32.const 0)', get('$heads'), 1,
      watFor('$j', '(i32.const 0)', get('$dh'), 4, `(v128.store (i32.add ${get('$out')} ${to}) (f32x4.mul (v128.load (i32.add ${get('$x')} ${from})) ${get('$s')}))`))))})`;
  return `(module
  (import "env" "memory" (memory 1))
  ${move(wide, entry)}
  ${move(entry, wide)}
  (func (export "softmaxGradRows") (param $p i32) (param $dp i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $at i32) (local $acc v128) (local $dot v128)
    ${watFor('$r', '(i32.const 0)', get('$rows'), 1, `
      (local.set $at (i32.shl (i32.mul ${get('$r')} ${get('$n')}) (i32.const 2)))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      ${watFor('$j', '(i32.const 0)', `(i32.shl ${get('$n')} (i32.const 2))`, 16, `
        (local.set $acc (f32x4.add ${get('$acc')} (f32x4.mul (v128.load (i32.add (i32.add ${get('$dp')} ${get('$at')}) ${get('$j')})) (v128.load (i32.add (i32.add ${get('$p')} ${get('$at')}) ${get('$j')})))))`)}
      (local.set $dot (f32x4.splat ${watLaneSum(get('$acc'))}))
      ${watFor('$j', '(i32.const 0)', `(i32.shl ${get('$n')} (i32.const 2))`, 16, `
        (v128.store (i32.add (i32.add ${get('$o')} ${get('$at')}) ${get('$j')})
          (f32x4.mul (v128.load (i32.add (i32.add ${get('$p')} ${get('$at')}) ${get('$j')})) (f32x4.sub (v128.load (i32.add (i32.add ${get('$dp')} ${get('$at')}) ${get('$j')})) ${get('$dot')})))`)}`)})
)`;
}

/** The SIMD loops when the head width and the window are multiples of 4, else null. */
function attentionLoops(t: number, dh: number): AttentionLoops | null {
  if (t % 4 !== 0 || dh % 4 !== 0) return null;
  return wasmModule<AttentionLoops>('gatebook_attention_loops', attentionLoopsText);
}

/** [b, t, d] → [b·heads, t, dh] (or its per-entry transpose [b·heads, dh, t]), times `scale`. */
function splitHeads(c: WasmKernelContext, x: tf.Tensor, heads: number, transposed: boolean, scale = 1): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const dh = d / heads;
  const out = c.output(transposed ? [b * heads, dh, t] : [b * heads, t, dh]);
  const loops = attentionLoops(t, dh);
  if (loops) {
    const split = transposed ? c.output([b * heads, t, dh]) : out;
    loops.split(c.address(x), c.address(split), b, t, heads, dh, scale);
    if (transposed) {
      transposeBlocks(c.address(split), c.address(out), b * heads, t, dh);
      c.free(split);
    }
    return c.tensor(out);
  }
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
  const loops = attentionLoops(t, dh);
  if (loops) {
    loops.merge(c.address(x), c.address(out), batch, t, heads, dh, scale);
    return c.tensor(out);
  }
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
 * The softmax's gradient row by row, dS = P ⊙ (dP − Σⱼ dP ⊙ P), with the per-entry transposes
 * dSᵀ and Pᵀ: dK = dSᵀ·q and dV = Pᵀ·dO then need no transposed matMul (the matMul's own
 * transpose of [b·heads, t, t] took ~7 ms a layer at 128 rows). With SIMD: the rows, then
 * both transposes as 4 × 4 blocks; in JavaScript: one pass writing all three.
 */
function softmaxGrad(c: WasmKernelContext, p: tf.Tensor, dp: tf.Tensor): { dS: tf.Tensor3D; dST: tf.Tensor3D; pT: tf.Tensor3D } {
  const [entries, , n] = p.shape;
  const [dS, dST, pT] = [c.output(p.shape), c.output(p.shape), c.output(p.shape)];
  const loops = attentionLoops(n, 4);
  if (loops) {
    loops.softmaxGradRows(c.address(p), c.address(dp), c.address(dS), entries * n, n);
    transposeBlocks(c.address(dS), c.address(dST), entries, n, n);
    transposeBlocks(c.address(p), c.address(pT), entries, n, n);
    return { dS: c.tensor(dS), dST: c.tensor(dST), pT: c.tensor(pT) };
  }
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
// back (dv, dS, dq, dk), each thread one output element or one row of P — one forward and two
// back where a dispatch can write several outputs (`webgpuInPlace`).

/**
 * Where q, k and v are read (and their gradients written): three [b, t, d] tensors, or one
 * packed [b, t, 3d] tensor with q, k and v side by side in each row (`selfAttention.ts`: one
 * projection matMul for the three) — `q`, `k`, `v` name the arrays, `dq`, `dk`, `dv` the
 * gradients' arrays (one `DQKV` when packed).
 */
interface Layout { packed: boolean; q: string; k: string; v: string; dq: string; dk: string; dv: string }
const SEPARATE: Layout = { packed: false, q: 'Q', k: 'K', v: 'V', dq: 'DQ', dk: 'DK', dv: 'DV' };
const PACKED: Layout = { packed: true, q: 'QKV', k: 'QKV', v: 'QKV', dq: 'DQKV', dk: 'DQKV', dv: 'DQKV' };

/**
 * WGSL helpers for an entry e = row·H + h: `at` is element (i, c) of the output and dy in the
 * [b, t, d] layout; `atQ`, `atK`, `atV` that of q, k and v (and their gradients) in `layout`.
 */
function shapeCode(t: number, dh: number, heads: number, layout: Layout = SEPARATE): string {
  const d = heads * dh;
  const rowOf = (offset: number) => `((e / H) * T + i) * ${layout.packed ? 3 * d : d} + (e % H) * DH + c${offset ? ` + ${offset}` : ''}`;
  return `
      const T = ${t};
      const DH = ${dh};
      const H = ${heads};
      const D = ${d};
      fn at(e : i32, i : i32, c : i32) -> i32 { return ((e / H) * T + i) * D + (e % H) * DH + c; }
      fn atQ(e : i32, i : i32, c : i32) -> i32 { return ${rowOf(0)}; }
      fn atK(e : i32, i : i32, c : i32) -> i32 { return ${rowOf(layout.packed ? d : 0)}; }
      fn atV(e : i32, i : i32, c : i32) -> i32 { return ${rowOf(layout.packed ? 2 * d : 0)}; }`;
}

/** WGSL: entry e's query row i of P = softmax(scale · q kᵀ) into the private array `s` (reads q and k). */
function softmaxRow(t: number, scale: number, layout: Layout = SEPARATE): string {
  return `
          var s : array<f32, ${t}>;
          var top = -3.0e38;
          for (var j = 0; j < T; j++) {
            var dot = 0.0;
            for (var c = 0; c < DH; c++) { dot = dot + ${layout.q}[atQ(e, i, c)] * ${layout.k}[atK(e, j, c)]; }
            s[j] = dot * ${f32(scale)};
            top = max(top, s[j]);
          }
          var total = 0.0;
          for (var j = 0; j < T; j++) { s[j] = exp(s[j] - top); total = total + s[j]; }
          for (var j = 0; j < T; j++) { s[j] = s[j] / total; }`;
}

/** WGSL: row `index` (entry e, query row i) of dS = P ⊙ (dP − Σ dP ⊙ P), dP = dO·vᵀ, into the private array `dp` (reads P, DY, v). */
function scoresGradRow(t: number, layout: Layout = SEPARATE): string {
  return `
          var dp : array<f32, ${t}>;
          var dot = 0.0;
          for (var j = 0; j < T; j++) {
            var acc = 0.0;
            for (var c = 0; c < DH; c++) { acc = acc + DY[at(e, i, c)] * ${layout.v}[atV(e, j, c)]; }
            dp[j] = acc;
            dot = dot + acc * P[index * T + j];
          }
          for (var j = 0; j < T; j++) { dp[j] = P[index * T + j] * (dp[j] - dot); }`;
}

/** One thread per (entry, query row): the row of P = softmax(scale · q kᵀ), written to [E, T, T]. */
function weightsProgram(entries: number, t: number, dh: number, heads: number, scale: number) {
  return flatProgram(`gatebook_attention_weights_${t}_${dh}_${heads}`, [entries, t, t], entries * t, ['Q', 'K'], () => `${shapeCode(t, dh, heads)}
      fn main(index : i32) {
        if (index < uniforms.size / T) {
          let e = index / T;
          let i = index % T;${softmaxRow(t, scale)}
          for (var j = 0; j < T; j++) { result[index * T + j] = s[j]; }
        }
      }`, { size: true });
}

/** One thread per output element (entry, i, c) of A·X into the [b, t, d] layout; A [E, T, T] (read transposed with `transposeA`), X from [b, t, d]. */
function productProgram(name: string, entries: number, t: number, dh: number, heads: number, transposeA: boolean, scale: number) {
  const d = heads * dh;
  const a = transposeA ? 'A[(e * T + j) * T + i]' : 'A[(e * T + i) * T + j]';
  return flatProgram(`gatebook_attention_${name}_${t}_${dh}_${heads}`, [entries / heads, t, d], entries * t * dh, ['A', 'X'], () => `${shapeCode(t, dh, heads)}
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
  return flatProgram(`gatebook_attention_dscores_${t}_${dh}_${heads}`, [entries, t, t], entries * t, ['P', 'DY', 'V'], () => `${shapeCode(t, dh, heads)}
      fn main(index : i32) {
        if (index < uniforms.size / T) {
          let e = index / T;
          let i = index % T;${scoresGradRow(t)}
          for (var j = 0; j < T; j++) { result[index * T + j] = dp[j]; }
        }
      }`, { size: true });
}

/** The longest window the webgpu kernels take (a row of P lives in each thread's private memory). */
const WEBGPU_MAX_STEPS = 512;

/**
 * The same in three dispatches with several outputs each (`webgpuInPlace.ts`): forward, a
 * thread per query row writes its row of P and its row of P·v; back, a thread per query row
 * writes its row of dS and of dq, then a thread per (key row, column) its dk and dv elements.
 */
function rowsForward(t: number, dh: number, heads: number, scale: number, layout: Layout): InPlaceKernel {
  return {
    key: `gatebook_attention_forward_in_place_${t}_${dh}_${heads}${layout.packed ? '_packed' : ''}`, written: ['P', 'OUT'],
    read: [...new Set([layout.q, layout.k, layout.v])], uniforms: ['rows : i32'],
    main: () => `${shapeCode(t, dh, heads, layout)}
      fn main(index : i32) {
        if (index < uniforms.rows) {
          let e = index / T;
          let i = index % T;${softmaxRow(t, scale, layout)}
          for (var j = 0; j < T; j++) { P[index * T + j] = s[j]; }
          for (var c = 0; c < DH; c++) {
            var acc = 0.0;
            for (var j = 0; j < T; j++) { acc = acc + s[j] * ${layout.v}[atV(e, j, c)]; }
            OUT[at(e, i, c)] = acc * 1.0;
          }
        }
      }`,
  };
}

function rowsBackward(t: number, dh: number, heads: number, scale: number, layout: Layout): InPlaceKernel {
  return {
    key: `gatebook_attention_backward_rows_${t}_${dh}_${heads}${layout.packed ? '_packed' : ''}`, written: ['DS', layout.dq],
    read: ['P', 'DY', ...new Set([layout.v, layout.k])], uniforms: ['rows : i32'],
    main: () => `${shapeCode(t, dh, heads, layout)}
      fn main(index : i32) {
        if (index < uniforms.rows) {
          let e = index / T;
          let i = index % T;${scoresGradRow(t, layout)}
          for (var j = 0; j < T; j++) { DS[index * T + j] = dp[j]; }
          for (var c = 0; c < DH; c++) {
            var acc = 0.0;
            for (var j = 0; j < T; j++) { acc = acc + dp[j] * ${layout.k}[atK(e, j, c)]; }
            ${layout.dq}[atQ(e, i, c)] = acc * ${f32(scale)};
          }
        }
      }`,
  };
}

function columnsBackward(t: number, dh: number, heads: number, scale: number, layout: Layout): InPlaceKernel {
  return {
    key: `gatebook_attention_backward_columns_${t}_${dh}_${heads}${layout.packed ? '_packed' : ''}`, written: [...new Set([layout.dk, layout.dv])],
    read: ['DS', layout.q, 'P', 'DY'], uniforms: ['size : i32'],
    main: () => `${shapeCode(t, dh, heads, layout)}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % DH;
          let j = (index / DH) % T;
          let e = index / (DH * T);
          var ak = 0.0;
          var av = 0.0;
          for (var i = 0; i < T; i++) {
            ak = ak + DS[(e * T + i) * T + j] * ${layout.q}[atQ(e, i, c)];
            av = av + P[(e * T + i) * T + j] * DY[at(e, i, c)];
          }
          ${layout.dk}[atK(e, j, c)] = ak * ${f32(scale)};
          ${layout.dv}[atV(e, j, c)] = av * 1.0;
        }
      }`,
  };
}

function webgpuInPlace(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, t, d] = q.shape;
  const dh = d / heads;
  const entries = batch * heads;
  const scale = 1 / Math.sqrt(dh);
  const rows = [{ type: 'i32' as const, value: entries * t }];
  const body = (qq: tf.Tensor3D, kk: tf.Tensor3D, vv: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const [p, out] = newOutputs([[entries, t, t], [batch, t, d]]);
    runInPlace(rowsForward(t, dh, heads, scale, SEPARATE), [p, out], [qq, kk, vv], rows, entries * t);
    save([p, qq, kk, vv]);
    return {
      value: out as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, [pSaved, qSaved, kSaved, vSaved]: tf.Tensor[]) => {
        const [dS, dQ, dK, dV] = newOutputs([[entries, t, t], [batch, t, d], [batch, t, d], [batch, t, d]]);
        runInPlace(rowsBackward(t, dh, heads, scale, SEPARATE), [dS, dQ], [pSaved, dy, vSaved, kSaved], rows, entries * t);
        runInPlace(columnsBackward(t, dh, heads, scale, SEPARATE), [dK, dV], [dS, qSaved, pSaved, dy], [{ type: 'i32', value: entries * t * dh }], entries * t * dh);
        dS.dispose(); // its buffer stays the queue's until the submit
        return [dQ, dK, dV];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(q, k, v) as tf.Tensor3D;
}

/** Whether `attentionPacked` runs here: the webgpu backend with several outputs a dispatch, a window of ≤ 512 steps. */
export function attentionPackedAvailable(steps: number): boolean {
  return tf.getBackend() === 'webgpu' && inPlaceAvailable() && steps <= WEBGPU_MAX_STEPS;
}

/**
 * webgpu: attention over q, k and v packed side by side in one [b, t, 3d] tensor (one
 * projection matMul makes them: `selfAttention.ts`), with one gradient [b, t, 3d] — the same
 * three dispatches as `webgpuInPlace`, reading the three from one buffer and writing their
 * gradients into one (the rows kernel dq's columns, the columns kernel dk's and dv's). Only
 * where `attentionPackedAvailable`.
 */
export function attentionPacked(qkv: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, t, d3] = qkv.shape;
  const d = d3 / 3;
  const dh = d / heads;
  const entries = batch * heads;
  const scale = 1 / Math.sqrt(dh);
  const rows = [{ type: 'i32' as const, value: entries * t }];
  const body = (x: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const [p, out] = newOutputs([[entries, t, t], [batch, t, d]]);
    runInPlace(rowsForward(t, dh, heads, scale, PACKED), [p, out], [x], rows, entries * t);
    save([p, x]);
    return {
      value: out as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, [pSaved, xSaved]: tf.Tensor[]) => {
        const [dS, dQkv] = newOutputs([[entries, t, t], [batch, t, d3]]);
        runInPlace(rowsBackward(t, dh, heads, scale, PACKED), [dS, dQkv], [pSaved, dy, xSaved], rows, entries * t);
        runInPlace(columnsBackward(t, dh, heads, scale, PACKED), [dQkv], [dS, xSaved, pSaved, dy], [{ type: 'i32', value: entries * t * dh }], entries * t * dh);
        dS.dispose(); // its buffer stays the queue's until the submit
        return dQkv;
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(qkv) as tf.Tensor3D;
}

function webgpu(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, t, d] = q.shape;
  if (t > WEBGPU_MAX_STEPS) return reference(q, k, v, heads);
  if (inPlaceAvailable()) return webgpuInPlace(q, k, v, heads);
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
