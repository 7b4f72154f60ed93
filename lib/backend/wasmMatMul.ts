import { watFor, wasmModule, watGet as get } from './wasmModules';

/**
 * gatebook's matMul kernels in WebAssembly SIMD, for float32 matrices in row-major order:
 * c = a·b (a [m, k], b [k, n]) and c = aᵀ·b (a [m, k], b [m, n]: a weight gradient xᵀ·dy summed
 * over a batch's m rows), n a multiple of 8. Neither packs a side. The XNNPACK build tfjs
 * ships runs a·b at 11–14 GMAC/s on this kind of machine with b's packing cached, these
 * 16–21; and it packs a new right-hand side on every call (~6–7 ns a value), while both sides
 * of a weight gradient are new every step: for an LSTM layer's hᵀ·dz, [7680, 64]ᵀ·[7680, 256],
 * the packing of dz cost more than the multiply-adds, and a's transpose came on top.
 *
 * Both walk tiles of 4 rows of c × 8 columns (eight 128-bit accumulators), a step of the sum
 * one splat of a value of a per row and two loads of b's 8; rows of c past the last multiple
 * of 4 go one at a time. aᵀ·b walks m in chunks of CHUNK rows (a chunk of a and b stays in
 * the core's cache while every tile passes over it). Pointers are byte offsets in the wasm memory.
 */
interface MatMulModule {
  atb(a: number, b: number, c: number, m: number, k: number, n: number): void;
  ab(a: number, b: number, c: number, m: number, k: number, n: number): void;
}

const CHUNK = 128;

function text(): string {
  const acc = (r: number, h: number) => `$c${r}${h}`;
  const rowsOf = (count: number) => Array.from({ length: count }, (_, r) => r);
  // a tile of `rows` rows of c (from row $kk) × 8 columns (from $nn), over rows $m0..$mEnd of a and b
  const tile = (rows: number) => {
    const cRow = (r: number) => (r === 0 ? get('$pc') : `(i32.add ${get('$pc')} (i32.mul ${get('$bs')} (i32.const ${r})))`);
    const loadC = rowsOf(rows).flatMap((r) => [0, 1].map((h) => `(local.set ${acc(r, h)} (v128.load offset=${h * 16} ${cRow(r)}))`)).join('\n');
    const storeC = rowsOf(rows).flatMap((r) => [0, 1].map((h) => `(v128.store offset=${h * 16} ${cRow(r)} ${get(acc(r, h))})`)).join('\n');
    const step = rowsOf(rows).map((r) => `
          (local.set $x (v128.load32_splat offset=${4 * r} ${get('$pa')}))
          (local.set ${acc(r, 0)} (f32x4.add ${get(acc(r, 0))} (f32x4.mul ${get('$x')} ${get('$b0')})))
          (local.set ${acc(r, 1)} (f32x4.add ${get(acc(r, 1))} (f32x4.mul ${get('$x')} ${get('$b1')})))`).join('');
    return `
        (local.set $pc (i32.add ${get('$c')} (i32.shl (i32.add (i32.mul ${get('$kk')} ${get('$n')}) ${get('$nn')}) (i32.const 2))))
        ${loadC}
        (local.set $pa (i32.add ${get('$a')} (i32.shl (i32.add (i32.mul ${get('$m0')} ${get('$k')}) ${get('$kk')}) (i32.const 2))))
        (local.set $pb (i32.add ${get('$b')} (i32.shl (i32.add (i32.mul ${get('$m0')} ${get('$n')}) ${get('$nn')}) (i32.const 2))))
        (local.set $paEnd (i32.add ${get('$pa')} (i32.mul (i32.sub ${get('$mEnd')} ${get('$m0')}) ${get('$as')})))
        (block $rowsDone${rows} (loop $nextRow${rows}
          (br_if $rowsDone${rows} (i32.ge_u ${get('$pa')} ${get('$paEnd')}))
          (local.set $b0 (v128.load ${get('$pb')}))
          (local.set $b1 (v128.load offset=16 ${get('$pb')}))${step}
          (local.set $pa (i32.add ${get('$pa')} ${get('$as')}))
          (local.set $pb (i32.add ${get('$pb')} ${get('$bs')}))
          (br $nextRow${rows})))
        ${storeC}`;
  };
  // c rows $i.. (`rows` of them) × 8 columns from $nn: a's rows read 4 bytes a step (each row k·4 bytes from the last), b's rows n·4 bytes a step
  const abTile = (rows: number) => {
    const aRow = (r: number) => (r === 0 ? get('$pa') : `(i32.add ${get('$pa')} (i32.mul ${get('$as')} (i32.const ${r})))`);
    const cRow = (r: number) => (r === 0 ? get('$pc') : `(i32.add ${get('$pc')} (i32.mul ${get('$bs')} (i32.const ${r})))`);
    const zero = rowsOf(rows).flatMap((r) => [0, 1].map((h) => `(local.set ${acc(r, h)} (v128.const i32x4 0 0 0 0))`)).join('\n');
    const store = rowsOf(rows).flatMap((r) => [0, 1].map((h) => `(v128.store offset=${h * 16} ${cRow(r)} ${get(acc(r, h))})`)).join('\n');
    const step = rowsOf(rows).map((r) => `
          (local.set $x (v128.load32_splat ${aRow(r)}))
          (local.set ${acc(r, 0)} (f32x4.add ${get(acc(r, 0))} (f32x4.mul ${get('$x')} ${get('$b0')})))
          (local.set ${acc(r, 1)} (f32x4.add ${get(acc(r, 1))} (f32x4.mul ${get('$x')} ${get('$b1')})))`).join('');
    return `
        ${zero}
        (local.set $pa (i32.add ${get('$a')} (i32.mul ${get('$i')} ${get('$as')})))
        (local.set $paEnd (i32.add ${get('$pa')} ${get('$as')}))
        (local.set $pb (i32.add ${get('$b')} (i32.shl ${get('$nn')} (i32.const 2))))
        (block $kDone${rows} (loop $nextK${rows}
          (br_if $kDone${rows} (i32.ge_u ${get('$pa')} ${get('$paEnd')}))
          (local.set $b0 (v128.load ${get('$pb')}))
          (local.set $b1 (v128.load offset=16 ${get('$pb')}))${step}
          (local.set $pa (i32.add ${get('$pa')} (i32.const 4)))
          (local.set $pb (i32.add ${get('$pb')} ${get('$bs')}))
          (br $nextK${rows})))
        (local.set $pc (i32.add ${get('$c')} (i32.shl (i32.add (i32.mul ${get('$i')} ${get('$n')}) ${get('$nn')}) (i32.const 2))))
        ${store}`;
  };
  const accumulators = rowsOf(4).flatMap((r) => [0, 1].map((h) => `(local ${acc(r, h)} v128)`)).join(' ');
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "atb") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (local $m0 i32) (local $mEnd i32) (local $kk i32) (local $nn i32) (local $k4 i32) (local $p i32) (local $end i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $paEnd i32) (local $as i32) (local $bs i32)
    (local $x v128) (local $b0 v128) (local $b1 v128) ${accumulators}
    (local.set $as (i32.shl ${get('$k')} (i32.const 2)))
    (local.set $bs (i32.shl ${get('$n')} (i32.const 2)))
    (local.set $k4 (i32.and ${get('$k')} (i32.const -4)))
    ;; c starts at zero; each chunk of rows adds its part
    (local.set $end (i32.add ${get('$c')} (i32.mul ${get('$k')} ${get('$bs')})))
    ${watFor('$p', get('$c'), get('$end'), 16, `(v128.store ${get('$p')} (v128.const i32x4 0 0 0 0))`)}
    ${watFor('$m0', '(i32.const 0)', get('$m'), CHUNK, `
      (local.set $mEnd (select (i32.add ${get('$m0')} (i32.const ${CHUNK})) ${get('$m')} (i32.lt_u (i32.add ${get('$m0')} (i32.const ${CHUNK})) ${get('$m')})))
      ${watFor('$kk', '(i32.const 0)', get('$k4'), 4, watFor('$nn', '(i32.const 0)', get('$n'), 8, tile(4)))}
      ${watFor('$kk', get('$k4'), get('$k'), 1, watFor('$nn', '(i32.const 0)', get('$n'), 8, tile(1)))}`)})
  (func (export "ab") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $nn i32) (local $m4 i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $paEnd i32) (local $as i32) (local $bs i32)
    (local $x v128) (local $b0 v128) (local $b1 v128) ${accumulators}
    (local.set $as (i32.shl ${get('$k')} (i32.const 2)))
    (local.set $bs (i32.shl ${get('$n')} (i32.const 2)))
    (local.set $m4 (i32.and ${get('$m')} (i32.const -4)))
    ${watFor('$i', '(i32.const 0)', get('$m4'), 4, watFor('$nn', '(i32.const 0)', get('$n'), 8, abTile(4)))}
    ${watFor('$i', get('$m4'), get('$m'), 1, watFor('$nn', '(i32.const 0)', get('$n'), 8, abTile(1)))})
)`;
}

/** c [k, n] = aᵀ·b at byte offsets a [m, k], b [m, n]; false (nothing done) unless n is a multiple of 8. */
export function gradientMatMul(a: number, b: number, c: number, m: number, k: number, n: number): boolean {
  if (n % 8 !== 0 || m === 0 || k === 0) return false;
  wasmModule<MatMulModule>('gatebook_matmul', text).atb(a, b, c, m, k, n);
  return true;
}

/** c [m, n] = a·b at byte offsets a [m, k], b [k, n]; false (nothing done) unless n is a multiple of 8. */
export function plainMatMul(a: number, b: number, c: number, m: number, k: number, n: number): boolean {
  if (n % 8 !== 0 || m === 0 || k === 0) return false;
  wasmModule<MatMulModule>('gatebook_matmul', text).ab(a, b, c, m, k, n);
  return true;
}
