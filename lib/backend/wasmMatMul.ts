import { watFor, wasmModule, watGet as get } from './wasmModules';

/**
 * gatebook's matMul kernels in WebAssembly SIMD, for float32 matrices in row-major order:
 * c = a·b (a [m, k], b [k, n]) and c = aᵀ·b (a [m, k], b [m, n]: a weight gradient xᵀ·dy summed
 * over a batch's m rows), n a multiple of 4. Neither packs a side. The XNNPACK build tfjs
 * ships runs a·b at 11–14 GMAC/s on this kind of machine with b's packing cached, these
 * 16–21; and it packs a new right-hand side on every call (~6–7 ns a value), while both sides
 * of a weight gradient are new every step: for an LSTM layer's hᵀ·dz, [7680, 64]ᵀ·[7680, 256],
 * the packing of dz cost more than the multiply-adds, and a's transpose came on top.
 *
 * Both walk tiles of 4 rows of c × 8 columns (eight 128-bit accumulators), a step of the sum
 * one splat of a value of a per row and two loads of b's 8; rows of c past the last multiple
 * of 4 go one at a time, and columns past the last multiple of 8 four at a time. aᵀ·b walks
 * m in chunks of CHUNK rows (a chunk of a and b stays in the core's cache while every tile
 * passes over it). Pointers are byte offsets in the wasm memory.
 */
interface MatMulModule {
  atb(a: number, b: number, c: number, m: number, k: number, n: number): void;
  ab(a: number, b: number, c: number, m: number, k: number, n: number): void;
}

const CHUNK = 128;

function text(): string {
  const acc = (r: number, h: number) => `$c${r}${h}`;
  const rowsOf = (count: number) => Array.from({ length: count }, (_, r) => r);
  let label = 0;
  /**
   * A tile of c: `rows` rows (4, or 1 past the last multiple of 4) × 4·`halves` columns from
   * $nn (8, or 4 past the last multiple of 8). aᵀ·b: c's rows from $kk, summed over a's and
   * b's rows $m0..$mEnd — the tile's a values side by side in a row of a, a row apart a step,
   * and c loaded first (each chunk adds to it). a·b: c's rows from $i, summed over k — a's
   * values a row of a apart, 4 bytes a step.
   */
  const tile = (kind: 'atb' | 'ab', rows: number, halves: number) => {
    const id = ++label;
    const each = (f: (r: number, h: number) => string) => rowsOf(rows).flatMap((r) => rowsOf(halves).map((h) => f(r, h))).join('\n');
    const cRow = (r: number) => (r === 0 ? get('$pc') : `(i32.add ${get('$pc')} (i32.mul ${get('$bs')} (i32.const ${r})))`);
    const aValue = (r: number) => (kind === 'atb' ? `offset=${4 * r} ${get('$pa')}` : r === 0 ? get('$pa') : `(i32.add ${get('$pa')} (i32.mul ${get('$as')} (i32.const ${r})))`);
    const [cRow0, aStart, aEnd, bStart, aStep] = kind === 'atb'
      ? ['$kk', `(i32.shl (i32.add (i32.mul ${get('$m0')} ${get('$k')}) ${get('$kk')}) (i32.const 2))`, `(i32.mul (i32.sub ${get('$mEnd')} ${get('$m0')}) ${get('$as')})`, `(i32.shl (i32.add (i32.mul ${get('$m0')} ${get('$n')}) ${get('$nn')}) (i32.const 2))`, get('$as')]
      : ['$i', `(i32.mul ${get('$i')} ${get('$as')})`, get('$as'), `(i32.shl ${get('$nn')} (i32.const 2))`, '(i32.const 4)'];
    return `
        (local.set $pc (i32.add ${get('$c')} (i32.shl (i32.add (i32.mul ${get(cRow0)} ${get('$n')}) ${get('$nn')}) (i32.const 2))))
        ${kind === 'atb' ? each((r, h) => `(local.set ${acc(r, h)} (v128.load offset=${h * 16} ${cRow(r)}))`) : each((r, h) => `(local.set ${acc(r, h)} (v128.const i32x4 0 0 0 0))`)}
        (local.set $pa (i32.add ${get('$a')} ${aStart}))
        (local.set $paEnd (i32.add ${get('$pa')} ${aEnd}))
        (local.set $pb (i32.add ${get('$b')} ${bStart}))
        (block $done${id} (loop $next${id}
          (br_if $done${id} (i32.ge_u ${get('$pa')} ${get('$paEnd')}))
          ${rowsOf(halves).map((h) => `(local.set $b${h} (v128.load offset=${h * 16} ${get('$pb')}))`).join(' ')}
          ${rowsOf(rows).map((r) => `(local.set $x (v128.load32_splat ${aValue(r)}))
          ${rowsOf(halves).map((h) => `(local.set ${acc(r, h)} (f32x4.add ${get(acc(r, h))} (f32x4.mul ${get('$x')} ${get(`$b${h}`)})))`).join('\n')}`).join('\n')}
          (local.set $pa (i32.add ${get('$pa')} ${aStep}))
          (local.set $pb (i32.add ${get('$pb')} ${get('$bs')}))
          (br $next${id})))
        ${each((r, h) => `(v128.store offset=${h * 16} ${cRow(r)} ${get(acc(r, h))})`)}`;
  };
  // the columns: tiles 8 wide, then one 4 wide if n is an odd multiple of 4
  const columns = (kind: 'atb' | 'ab', rows: number) =>
    `${watFor('$nn', '(i32.const 0)', get('$n8'), 8, tile(kind, rows, 2))}
     ${watFor('$nn', get('$n8'), get('$n'), 4, tile(kind, rows, 1))}`;
  const common = `(local $nn i32) (local $n8 i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $paEnd i32) (local $as i32) (local $bs i32)
    (local $x v128) (local $b0 v128) (local $b1 v128) ${rowsOf(4).flatMap((r) => [0, 1].map((h) => `(local ${acc(r, h)} v128)`)).join(' ')}
    (local.set $as (i32.shl ${get('$k')} (i32.const 2)))
    (local.set $bs (i32.shl ${get('$n')} (i32.const 2)))
    (local.set $n8 (i32.and ${get('$n')} (i32.const -8)))`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "atb") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (local $m0 i32) (local $mEnd i32) (local $kk i32) (local $k4 i32) (local $p i32) (local $end i32)
    ${common}
    (local.set $k4 (i32.and ${get('$k')} (i32.const -4)))
    ;; c starts at zero; each chunk of rows adds its part
    (local.set $end (i32.add ${get('$c')} (i32.mul ${get('$k')} ${get('$bs')})))
    ${watFor('$p', get('$c'), get('$end'), 16, `(v128.store ${get('$p')} (v128.const i32x4 0 0 0 0))`)}
    ${watFor('$m0', '(i32.const 0)', get('$m'), CHUNK, `
      (local.set $mEnd (select (i32.add ${get('$m0')} (i32.const ${CHUNK})) ${get('$m')} (i32.lt_u (i32.add ${get('$m0')} (i32.const ${CHUNK})) ${get('$m')})))
      ${watFor('$kk', '(i32.const 0)', get('$k4'), 4, columns('atb', 4))}
      ${watFor('$kk', get('$k4'), get('$k'), 1, columns('atb', 1))}`)})
  (func (export "ab") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $m4 i32)
    ${common}
    (local.set $m4 (i32.and ${get('$m')} (i32.const -4)))
    ${watFor('$i', '(i32.const 0)', get('$m4'), 4, columns('ab', 4))}
    ${watFor('$i', get('$m4'), get('$m'), 1, columns('ab', 1))})
)`;
}

/** c [k, n] = aᵀ·b at byte offsets a [m, k], b [m, n]; false (nothing done) unless n is a multiple of 4. */
export function gradientMatMul(a: number, b: number, c: number, m: number, k: number, n: number): boolean {
  if (n % 4 !== 0 || m === 0 || k === 0) return false;
  wasmModule<MatMulModule>('gatebook_matmul', text).atb(a, b, c, m, k, n);
  return true;
}

/** c [m, n] = a·b at byte offsets a [m, k], b [k, n]; false (nothing done) unless n is a multiple of 4. */
export function plainMatMul(a: number, b: number, c: number, m: number, k: number, n: number): boolean {
  if (n % 4 !== 0 || m === 0 || k === 0) return false;
  wasmModule<MatMulModule>('gatebook_matmul', text).ab(a, b, c, m, k, n);
  return true;
}
