import { wasmHeap, watFor, wasmModule, watGet as get } from '../backend/wasmModules';

/**
 * The per-step loops of the wasm LSTM kernel (`lstmSequenceWasm.ts`) in WebAssembly with
 * 128-bit SIMD, four units a lane group: what the JavaScript loops there compute, ~3× faster
 * (for units a multiple of 4; other widths keep the JavaScript loops). Pointers are byte
 * offsets in the wasm backend's memory; `ub` is units × 4 bytes; a "stride" is the bytes
 * between one batch row's data and the next's. Layouts as in lstmSequenceWasm.ts: S per step
 * [i, f, g, o, c, h, σ(2c)] (7 × units), P and dZ per step [i, f, g, o].
 */
export interface LstmLoops {
  /** Z[b] += P[b, t] for every row, the g-gate's columns doubled */
  addProjection(z: number, pT: number, pStride: number, batch: number, ub: number): void;
  /** from the gate activations A [B, 4U] (σ of 2g for g): S's i, f, g, o, c at step t; c carried in place; 2c into C2 */
  cellStep(a: number, sT: number, sStride: number, c2: number, c: number, batch: number, ub: number): void;
  /** h = o · (2 σ(2c) − 1) from TC = σ(2c): into H [B, U], and S's h and σ(2c) at step t */
  hiddenStep(tc: number, sT: number, sStride: number, h: number, batch: number, ub: number): void;
  /** one step back: dZ at step t and dzStep [B, 4U] from S (σ(2c) included), the step before's c, dH, what came back through R, and dc (carried in place) */
  backwardStep(sT: number, sStride: number, before: number, beforeStride: number, dhT: number, hStride: number, dzT: number, zStride: number, dzStep: number, dhRec: number, dc: number, batch: number, ub: number): void;
}

const load = (address: string) => `(v128.load ${address})`;
const store = (address: string, value: string) => `(v128.store ${address} ${value})`;
const at = (...terms: string[]) => terms.reduce((sum, t) => `(i32.add ${sum} ${t})`);
const mul = (a: string, b: string) => `(f32x4.mul ${a} ${b})`;
const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const sub = (a: string, b: string) => `(f32x4.sub ${a} ${b})`;
const ONE = '(v128.const f32x4 1 1 1 1)';
const TWO = '(v128.const f32x4 2 2 2 2)';
/** byte offset of part k (0 = i, … 5 = h) of a step's row */
const part = (k: number) => (k === 0 ? '(i32.const 0)' : `(i32.mul (local.get $ub) (i32.const ${k}))`);
const rowOf = (base: string, stride: string) => `(i32.add ${get(base)} (i32.mul ${get('$b')} ${stride}))`;

function text(): string {
  const addRange = (from: string, to: string, doubled: boolean) => watFor('$j', from, to, 16,
    store(at(get('$zRow'), get('$j')), add(load(at(get('$zRow'), get('$j'))), doubled ? mul(load(at(get('$pRow'), get('$j'))), TWO) : load(at(get('$pRow'), get('$j'))))));
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "addProjection") (param $z i32) (param $pT i32) (param $pStride i32) (param $batch i32) (param $ub i32)
    (local $b i32) (local $j i32) (local $zRow i32) (local $pRow i32)
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, `
      (local.set $zRow ${rowOf('$z', part(4))})
      (local.set $pRow ${rowOf('$pT', get('$pStride'))})
      ${addRange('(i32.const 0)', part(2), false)}
      ${addRange(part(2), part(3), true)}
      ${addRange(part(3), part(4), false)}`)})

  (func (export "cellStep") (param $a i32) (param $sT i32) (param $sStride i32) (param $c2 i32) (param $c i32) (param $batch i32) (param $ub i32)
    (local $b i32) (local $u i32) (local $aRow i32) (local $sRow i32) (local $cRow i32) (local $c2Row i32)
    (local $i v128) (local $f v128) (local $g v128) (local $cn v128)
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, `
      (local.set $aRow ${rowOf('$a', part(4))})
      (local.set $sRow ${rowOf('$sT', get('$sStride'))})
      (local.set $cRow ${rowOf('$c', get('$ub'))})
      (local.set $c2Row ${rowOf('$c2', get('$ub'))})
      ${watFor('$u', '(i32.const 0)', get('$ub'), 16, `
        (local.set $i ${load(at(get('$aRow'), get('$u')))})
        (local.set $f ${load(at(get('$aRow'), part(1), get('$u')))})
        (local.set $g ${sub(mul(load(at(get('$aRow'), part(2), get('$u'))), TWO), ONE)})
        (local.set $cn ${add(mul(get('$f'), load(at(get('$cRow'), get('$u')))), mul(get('$i'), get('$g')))})
        ${store(at(get('$cRow'), get('$u')), get('$cn'))}
        ${store(at(get('$c2Row'), get('$u')), mul(get('$cn'), TWO))}
        ${store(at(get('$sRow'), get('$u')), get('$i'))}
        ${store(at(get('$sRow'), part(1), get('$u')), get('$f'))}
        ${store(at(get('$sRow'), part(2), get('$u')), get('$g'))}
        ${store(at(get('$sRow'), part(3), get('$u')), load(at(get('$aRow'), part(3), get('$u'))))}
        ${store(at(get('$sRow'), part(4), get('$u')), get('$cn'))}`)}`)})

  (func (export "hiddenStep") (param $tc i32) (param $sT i32) (param $sStride i32) (param $h i32) (param $batch i32) (param $ub i32)
    (local $b i32) (local $u i32) (local $sRow i32) (local $cRow i32) (local $hv v128)
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, `
      (local.set $sRow ${rowOf('$sT', get('$sStride'))})
      (local.set $cRow (i32.mul ${get('$b')} ${get('$ub')}))
      ${watFor('$u', '(i32.const 0)', get('$ub'), 16, `
        (local.set $hv ${mul(load(at(get('$sRow'), part(3), get('$u'))), sub(mul(load(at(get('$tc'), get('$cRow'), get('$u'))), TWO), ONE))})
        ${store(at(get('$h'), get('$cRow'), get('$u')), get('$hv'))}
        ${store(at(get('$sRow'), part(5), get('$u')), get('$hv'))}
        ${store(at(get('$sRow'), part(6), get('$u')), load(at(get('$tc'), get('$cRow'), get('$u'))))}`)}`)})

  (func (export "backwardStep") (param $sT i32) (param $sStride i32) (param $before i32) (param $beforeStride i32) (param $dhT i32) (param $hStride i32)
      (param $dzT i32) (param $zStride i32) (param $dzStep i32) (param $dhRec i32) (param $dc i32) (param $batch i32) (param $ub i32)
    (local $b i32) (local $u i32) (local $sRow i32) (local $bRow i32) (local $hRow i32) (local $zRow i32) (local $qRow i32) (local $cRow i32)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $tc v128) (local $dh v128) (local $dcv v128)
    (local $di v128) (local $df v128) (local $dg v128) (local $do v128)
    ${watFor('$b', '(i32.const 0)', get('$batch'), 1, `
      (local.set $sRow ${rowOf('$sT', get('$sStride'))})
      (local.set $bRow ${rowOf('$before', get('$beforeStride'))})
      (local.set $hRow (i32.mul ${get('$b')} ${get('$hStride')}))
      (local.set $zRow ${rowOf('$dzT', get('$zStride'))})
      (local.set $qRow ${rowOf('$dzStep', part(4))})
      (local.set $cRow (i32.mul ${get('$b')} ${get('$ub')}))
      ${watFor('$u', '(i32.const 0)', get('$ub'), 16, `
        (local.set $i ${load(at(get('$sRow'), get('$u')))})
        (local.set $f ${load(at(get('$sRow'), part(1), get('$u')))})
        (local.set $g ${load(at(get('$sRow'), part(2), get('$u')))})
        (local.set $o ${load(at(get('$sRow'), part(3), get('$u')))})
        (local.set $tc ${sub(mul(load(at(get('$sRow'), part(6), get('$u'))), TWO), ONE)})
        (local.set $dh ${add(load(at(get('$dhT'), get('$hRow'), get('$u'))), load(at(get('$dhRec'), get('$cRow'), get('$u'))))})
        (local.set $dcv ${add(load(at(get('$dc'), get('$cRow'), get('$u'))), mul(mul(get('$dh'), get('$o')), sub(ONE, mul(get('$tc'), get('$tc')))))})
        (local.set $di ${mul(mul(mul(get('$dcv'), get('$g')), get('$i')), sub(ONE, get('$i')))})
        (local.set $df ${mul(mul(mul(get('$dcv'), load(at(get('$bRow'), get('$u')))), get('$f')), sub(ONE, get('$f')))})
        (local.set $dg ${mul(mul(get('$dcv'), get('$i')), sub(ONE, mul(get('$g'), get('$g'))))})
        (local.set $do ${mul(mul(mul(get('$dh'), get('$tc')), get('$o')), sub(ONE, get('$o')))})
        ${store(at(get('$zRow'), get('$u')), get('$di'))}
        ${store(at(get('$zRow'), part(1), get('$u')), get('$df'))}
        ${store(at(get('$zRow'), part(2), get('$u')), get('$dg'))}
        ${store(at(get('$zRow'), part(3), get('$u')), get('$do'))}
        ${store(at(get('$qRow'), get('$u')), get('$di'))}
        ${store(at(get('$qRow'), part(1), get('$u')), get('$df'))}
        ${store(at(get('$qRow'), part(2), get('$u')), get('$dg'))}
        ${store(at(get('$qRow'), part(3), get('$u')), get('$do'))}
        ${store(at(get('$dc'), get('$cRow'), get('$u')), mul(get('$dcv'), get('$f')))}`)}`)})

)`;
}

/**
 * The loops for `units`: WebAssembly SIMD when units is a multiple of 4, else the same loops
 * in JavaScript over a view of the whole wasm memory (same pointers, same arithmetic in
 * doubles rounded on store; tests run both).
 */
export function lstmLoopsFor(units: number): LstmLoops {
  return units % 4 === 0 ? wasmModule<LstmLoops>('gatebook_lstm_loops', text) : javascriptLoops(wasmHeap);
}

/** The same loops in JavaScript; M() is the wasm memory as float32 (taken per call: memory may grow). */
function javascriptLoops(M: () => Float32Array): LstmLoops {
  return {
    addProjection(z, pT, pStride, batch, ub) {
      const m = M(), units = ub / 4, four = 4 * units;
      for (let b = 0; b < batch; b++) {
        const zAt = z / 4 + b * four, pAt = (pT + b * pStride) / 4;
        for (let j = 0; j < four; j++) m[zAt + j] += j >= 2 * units && j < 3 * units ? 2 * m[pAt + j] : m[pAt + j];
      }
    },
    cellStep(a, sT, sStride, c2, c, batch, ub) {
      const m = M(), units = ub / 4;
      for (let b = 0; b < batch; b++) {
        const aAt = a / 4 + b * 4 * units, sAt = (sT + b * sStride) / 4, cAt = c / 4 + b * units, c2At = c2 / 4 + b * units;
        for (let u = 0; u < units; u++) {
          const i = m[aAt + u], f = m[aAt + units + u], g = 2 * m[aAt + 2 * units + u] - 1;
          const cNext = f * m[cAt + u] + i * g;
          m[cAt + u] = cNext;
          m[c2At + u] = 2 * cNext;
          m[sAt + u] = i; m[sAt + units + u] = f; m[sAt + 2 * units + u] = g; m[sAt + 3 * units + u] = m[aAt + 3 * units + u];
          m[sAt + 4 * units + u] = cNext;
        }
      }
    },
    hiddenStep(tc, sT, sStride, h, batch, ub) {
      const m = M(), units = ub / 4;
      for (let b = 0; b < batch; b++) {
        const sAt = (sT + b * sStride) / 4, cAt = b * units;
        for (let u = 0; u < units; u++) {
          const hv = m[sAt + 3 * units + u] * (2 * m[tc / 4 + cAt + u] - 1);
          m[h / 4 + cAt + u] = hv;
          m[sAt + 5 * units + u] = hv;
          m[sAt + 6 * units + u] = m[tc / 4 + cAt + u];
        }
      }
    },
    backwardStep(sT, sStride, before, beforeStride, dhT, hStride, dzT, zStride, dzStep, dhRec, dc, batch, ub) {
      const m = M(), units = ub / 4;
      for (let b = 0; b < batch; b++) {
        const sAt = (sT + b * sStride) / 4, bAt = (before + b * beforeStride) / 4, hAt = (b * hStride) / 4, zAt = (dzT + b * zStride) / 4;
        const qAt = dzStep / 4 + b * 4 * units, cAt = b * units;
        for (let u = 0; u < units; u++) {
          const i = m[sAt + u], f = m[sAt + units + u], g = m[sAt + 2 * units + u], o = m[sAt + 3 * units + u];
          const tc = 2 * m[sAt + 6 * units + u] - 1;
          const dh = m[dhT / 4 + hAt + u] + m[dhRec / 4 + cAt + u];
          const dcv = m[dc / 4 + cAt + u] + dh * o * (1 - tc * tc);
          const di = dcv * g * i * (1 - i), df = dcv * m[bAt + u] * f * (1 - f), dg = dcv * i * (1 - g * g), dO = dh * tc * o * (1 - o);
          m[zAt + u] = di; m[zAt + units + u] = df; m[zAt + 2 * units + u] = dg; m[zAt + 3 * units + u] = dO;
          m[qAt + u] = di; m[qAt + units + u] = df; m[qAt + 2 * units + u] = dg; m[qAt + 3 * units + u] = dO;
          m[dc / 4 + cAt + u] = dcv * f;
        }
      }
    },
  };
}
