import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { f32, flatProgram, runProgram } from './webgpuProgram';
import { uniformDraws } from '../util/random';
import { watFor, wasmModule, watGet as get } from '../backend/wasmModules';
import { wasmKernelContext } from './wasmBackend';

/**
 * `uniformDraws` in WebAssembly SIMD, four counters a lane group (a scalar tail for the
 * rest): the same MurmurHash3_x86_32 of each position under the seed and the same 24-bit
 * float, bit for bit (tested against the JavaScript stream).
 */
interface DrawModule {
  draws(seed: number, from: number, count: number, out: number): void;
}

function drawText(): string {
  const splat = (n: number) => `(i32x4.splat (i32.const ${n}))`;
  const rotl = (x: string, r: number) => `(v128.or (i32x4.shl ${x} (i32.const ${r})) (i32x4.shr_u ${x} (i32.const ${32 - r})))`;
  const mix = (x: string, shift: number) => `(v128.xor ${x} (i32x4.shr_u ${x} (i32.const ${shift})))`;
  const mixScalar = (x: string, shift: number) => `(i32.xor ${x} (i32.shr_u ${x} (i32.const ${shift})))`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "draws") (param $seed i32) (param $from i32) (param $count i32) (param $out i32)
    (local $n i32) (local $k v128) (local $h v128) (local $ks i32) (local $hs i32)
    ${watFor('$n', '(i32.const 0)', `(i32.and ${get('$count')} (i32.const -4))`, 4, `
      (local.set $k (i32x4.mul (i32x4.add (i32x4.splat (i32.add ${get('$from')} ${get('$n')})) (v128.const i32x4 0 1 2 3)) ${splat(0xcc9e2d51)}))
      (local.set $k (i32x4.mul ${rotl(get('$k'), 15)} ${splat(0x1b873593)}))
      (local.set $h (v128.xor (i32x4.splat ${get('$seed')}) ${get('$k')}))
      (local.set $h (i32x4.add (i32x4.mul ${rotl(get('$h'), 13)} ${splat(5)}) ${splat(0xe6546b64)}))
      (local.set $h (v128.xor ${get('$h')} ${splat(4)}))
      (local.set $h (i32x4.mul ${mix(get('$h'), 16)} ${splat(0x85ebca6b)}))
      (local.set $h (i32x4.mul ${mix(get('$h'), 13)} ${splat(0xc2b2ae35)}))
      (local.set $h ${mix(get('$h'), 16)})
      (v128.store (i32.add ${get('$out')} (i32.shl ${get('$n')} (i32.const 2)))
        (f32x4.mul (f32x4.convert_i32x4_u (i32x4.shr_u ${get('$h')} (i32.const 8))) (f32x4.splat (f32.const 0x1p-24))))`)}
    ${watFor('$n', `(i32.and ${get('$count')} (i32.const -4))`, get('$count'), 1, `
      (local.set $ks (i32.mul (i32.rotl (i32.mul (i32.add ${get('$from')} ${get('$n')}) (i32.const 0xcc9e2d51)) (i32.const 15)) (i32.const 0x1b873593)))
      (local.set $hs (i32.add (i32.mul (i32.rotl (i32.xor ${get('$seed')} ${get('$ks')}) (i32.const 13)) (i32.const 5)) (i32.const 0xe6546b64)))
      (local.set $hs (i32.xor ${get('$hs')} (i32.const 4)))
      (local.set $hs (i32.mul ${mixScalar(get('$hs'), 16)} (i32.const 0x85ebca6b)))
      (local.set $hs (i32.mul ${mixScalar(get('$hs'), 13)} (i32.const 0xc2b2ae35)))
      (local.set $hs ${mixScalar(get('$hs'), 16)})
      (f32.store (i32.add ${get('$out')} (i32.shl ${get('$n')} (i32.const 2)))
        (f32.mul (f32.convert_i32_u (i32.shr_u ${get('$hs')} (i32.const 8))) (f32.const 0x1p-24)))`)})
)`;
}

/**
 * The uniform draws [from, from + size) of a seed's stream as a tensor of `shape`: on wasm
 * drawn straight into the tensor's memory, in WebAssembly SIMD (no JavaScript array to fill
 * and copy in: a fresh one is page-faulted in each time, ~10 ns a value on a VM, more than
 * the draws cost).
 */
export function uniformTensor(seed: number, from: number, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== 'wasm') return tf.tensor(uniformDraws(seed, from, size), shape, 'float32');
  const c = wasmKernelContext();
  const out = c.output(shape);
  wasmModule<DrawModule>('gatebook_uniform_draws', drawText).draws(seed, from, size, c.address(out));
  return c.tensor(out);
}

/** Where a dropout's uniform draws come from: positions [from, from + size) of the seed's stream (`uniformDraws`). */
export interface Draws {
  seed: number;
  from: number;
}

/** Dropout applied inside another op (`residualNorm`, `reluDropout`): its draws and keep probability. */
export interface BranchDropout {
  draws: Draws;
  keep: number;
}

/**
 * Dropout with the uniform draws `draws` names (same shape as x): x · ⌊u + keep⌋ / keep,
 * tf.dropout's formula. Only x gets a gradient, dy · mask: autograd would also differentiate
 * the mask's add, floor and div (~8 kernels back where one is needed).
 */
function reference(x: tf.Tensor, draws: Draws, keep: number): tf.Tensor {
  return x.mul(uniformTensor(draws.seed, draws.from, x.shape).add(keep).floor().div(keep));
}

function fused(x: tf.Tensor, draws: Draws, keep: number): tf.Tensor {
  const body = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const mask = uniformTensor(draws.seed, draws.from, x.shape).add(keep).floor().div(keep);
    save([mask]);
    return { value: xx.mul(mask), gradFunc: (dy: tf.Tensor, [m]: tf.Tensor[]) => dy.mul(m) };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

/**
 * `uniformDraws` in WGSL: the same MurmurHash3_x86_32 of a position under the seed (u32
 * arithmetic wraps as Math.imul does) and the same 24-bit float, bit for bit.
 */
export const DRAW = `
  fn draw(seed : u32, n : u32) -> f32 {
    var k = n * 0xcc9e2d51u;
    k = ((k << 15u) | (k >> 17u)) * 0x1b873593u;
    var h = seed ^ k;
    h = ((h << 13u) | (h >> 19u)) * 5u + 0xe6546b64u;
    h = h ^ 4u;
    h = (h ^ (h >> 16u)) * 0x85ebca6bu;
    h = (h ^ (h >> 13u)) * 0xc2b2ae35u;
    h = h ^ (h >> 16u);
    return f32(h >> 8u) / 16777216.0;
  }`;

/** The uniform fields `maskAt` reads, as `runInPlace` takes them; `DRAW_UNIFORMS` as a program's `uniforms`. */
export const DRAW_FIELDS = ['seed : u32', 'start : u32'];
export const DRAW_UNIFORMS = `${DRAW_FIELDS.join(', ')},`;

/** The values of the uniforms `DRAW_FIELDS` declares (zeros without draws: no dropout). */
export function drawUniforms(draws?: Draws): Array<{ type: 'u32'; value: number }> {
  return [{ type: 'u32', value: draws?.seed ?? 0 }, { type: 'u32', value: draws?.from ?? 0 }];
}

/** WGSL: dropout's factor ⌊u + keep⌋ / keep at flat position `at` (needs DRAW and `seed`, `start` among the uniforms). */
export function maskAt(at: string, keep: number): string {
  return `(floor(draw(uniforms.seed, uniforms.start + u32(${at})) + ${f32(keep)}) / ${f32(keep)})`;
}

/** One dispatch: out = a · ⌊u + keep⌋ / keep with u drawn in the kernel (x forward, dy back). */
function masked(a: tf.Tensor, draws: Draws, keep: number): tf.Tensor {
  return runProgram(flatProgram(`gatebook_dropout_${Math.fround(keep)}`, a.shape, a.size, ['A'], () => `${DRAW}
    fn main(index : i32) {
      if (index < uniforms.size) {
        result[index] = A[index] * ${maskAt('index', keep)};
      }
    }`, { size: true, uniforms: DRAW_UNIFORMS }), [a], drawUniforms(draws));
}

/**
 * webgpu: the mask drawn in the kernel, one dispatch each way — no draws computed on the CPU
 * and uploaded (at batch 256 the transformer's dropout is ~1M draws, ~3–4 ms of the main
 * thread and 4 MB to the GPU, four times a step).
 */
function webgpu(x: tf.Tensor, draws: Draws, keep: number): tf.Tensor {
  const body = (xx: tf.Tensor) => ({ value: masked(xx, draws, keep), gradFunc: (dy: tf.Tensor) => masked(dy, draws, keep) });
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

export const dropoutWith = fusedOp<[tf.Tensor, Draws, number], tf.Tensor>({ name: 'dropout', reference, kernels: { '*': fused, webgpu } });
