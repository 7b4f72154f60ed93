import { watFor, wasmModule, watGet as get } from './wasmModules';

/**
 * Swapping the last two axes of 4-byte values (float32, int32) in WebAssembly: 4 × 4 blocks,
 * each four 128-bit loads, eight shuffles and four stores, for rows and columns that are
 * multiples of 4 (every weight gradient xᵀ·dy of a width like 32, 64, 96 or 128, and
 * attention's 60 × 60 blocks), in bands of rows. Pointers are byte offsets in the wasm backend's memory.
 */
interface TransposeModule {
  transpose4(src: number, dst: number, batch: number, rows: number, cols: number): void;
}

/** i8x16.shuffle byte indices picking 32-bit lanes `lanes` of (a, b) — lanes 4..7 are b's */
const shuffle = (lanes: number[], a: string, b: string) =>
  `(i8x16.shuffle ${lanes.flatMap((l) => [0, 1, 2, 3].map((k) => 4 * l + k)).join(' ')} ${a} ${b})`;

/** rows per band: a band's 4-column strip is written as 4 output runs of BAND values (one page-strided store per 16 bytes thrashed the TLB on tall matrices) */
const BAND = 64;

function text(): string {
  const row = (k: number) => `(v128.load (i32.add ${get('$in')} (i32.mul ${get('$rowBytes')} (i32.const ${k}))))`;
  const put = (k: number, value: string) => `(v128.store (i32.add ${get('$out')} (i32.mul ${get('$colBytes')} (i32.const ${k}))) ${value})`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "transpose4") (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $e i32) (local $r0 i32) (local $rEnd i32) (local $r i32) (local $c i32) (local $in i32) (local $out i32) (local $rowBytes i32) (local $colBytes i32) (local $entry i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl ${get('$cols')} (i32.const 2)))
    (local.set $colBytes (i32.shl ${get('$rows')} (i32.const 2)))
    (local.set $entry (i32.mul ${get('$rowBytes')} ${get('$rows')}))
    ${watFor('$e', '(i32.const 0)', get('$batch'), 1, `
      ${watFor('$r0', '(i32.const 0)', get('$rows'), BAND, `
        (local.set $rEnd (select (i32.add ${get('$r0')} (i32.const ${BAND})) ${get('$rows')} (i32.lt_u (i32.add ${get('$r0')} (i32.const ${BAND})) ${get('$rows')})))
        ${watFor('$c', '(i32.const 0)', get('$cols'), 4, `
          ${watFor('$r', get('$r0'), get('$rEnd'), 4, `
          (local.set $in (i32.add (i32.add ${get('$src')} (i32.mul ${get('$e')} ${get('$entry')})) (i32.shl (i32.add (i32.mul ${get('$r')} ${get('$cols')}) ${get('$c')}) (i32.const 2))))
          (local.set $out (i32.add (i32.add ${get('$dst')} (i32.mul ${get('$e')} ${get('$entry')})) (i32.shl (i32.add (i32.mul ${get('$c')} ${get('$rows')}) ${get('$r')}) (i32.const 2))))
          (local.set $a0 ${row(0)})
          (local.set $a1 ${row(1)})
          (local.set $a2 ${row(2)})
          (local.set $a3 ${row(3)})
          (local.set $t0 ${shuffle([0, 4, 1, 5], get('$a0'), get('$a1'))})
          (local.set $t1 ${shuffle([2, 6, 3, 7], get('$a0'), get('$a1'))})
          (local.set $t2 ${shuffle([0, 4, 1, 5], get('$a2'), get('$a3'))})
          (local.set $t3 ${shuffle([2, 6, 3, 7], get('$a2'), get('$a3'))})
          ${put(0, shuffle([0, 1, 4, 5], get('$t0'), get('$t2')))}
          ${put(1, shuffle([2, 3, 6, 7], get('$t0'), get('$t2')))}
          ${put(2, shuffle([0, 1, 4, 5], get('$t1'), get('$t3')))}
          ${put(3, shuffle([2, 3, 6, 7], get('$t1'), get('$t3')))}`)}`)}`)}`)})
)`;
}

/** Transpose `batch` [rows, cols] blocks of 4-byte values at src into [cols, rows] at dst; false (nothing done) unless rows and cols are multiples of 4. */
export function transposeBlocks(src: number, dst: number, batch: number, rows: number, cols: number): boolean {
  if (rows % 4 !== 0 || cols % 4 !== 0) return false;
  wasmModule<TransposeModule>('gatebook_transpose', text).transpose4(src, dst, batch, rows, cols);
  return true;
}
