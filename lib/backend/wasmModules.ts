import { tf } from './tf';

/**
 * gatebook's own WebAssembly, for loops that JavaScript runs 3–4× slower than 128-bit SIMD:
 * WAT text compiled in the process by wabt (npm `wabt`, the WebAssembly Binary Toolkit built
 * for JavaScript — no C toolchain at install time), instantiated against the memory of
 * tfjs's wasm backend, so its functions read and write tensors in place (pointers are byte
 * offsets from `typedArrayFromHeap(t).byteOffset`). The memory is imported, not copied: when
 * tfjs grows it, these modules see the growth.
 *
 * `prepareWasmModules()` (async: wabt loads its own wasm) runs when the wasm backend is
 * selected; after that `wasmModule` compiles and instantiates synchronously, once per name and
 * backend instance.
 */
type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
// the WebAssembly JavaScript API as used here (the project's TypeScript libs do not declare it)
interface Memory { buffer: ArrayBuffer }
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: Memory } }) => { exports: object };
};

let wabt: Wabt | null = null;
const compiled = new Map<string, object>();
const instances = new WeakMap<object, Map<string, object>>();

export async function prepareWasmModules(): Promise<void> {
  if (wabt) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const init = require('wabt') as typeof import('wabt');
  wabt = await init();
}

/** The active backend and its wasm memory (tfjs's wasm backend exports it as `asm.memory`). */
function backendMemory(what: string): { backend: object; memory: Memory } {
  const backend = tf.backend() as unknown as { wasm?: { asm?: { memory?: Memory } } };
  const memory = backend.wasm?.asm?.memory;
  if (tf.getBackend() !== 'wasm' || !memory) throw new Error(`${what}: the active backend is ${tf.getBackend()}, not tfjs's wasm backend (or it has no exported memory)`);
  return { backend, memory };
}

/** The exports of module `name` (its WAT from `text()`, made on first use; importing `env.memory`) on the active wasm backend's memory. */
export function wasmModule<T>(name: string, text: () => string): T {
  const { backend, memory } = backendMemory(`wasm module ${name}`);
  let byName = instances.get(backend);
  if (!byName) instances.set(backend, (byName = new Map()));
  let exports = byName.get(name);
  if (!exports) {
    let module = compiled.get(name);
    if (!module) {
      if (!wabt) throw new Error(`wasm module ${name}: prepareWasmModules() has not run (selectBackend('wasm') runs it)`);
      const parsed = wabt.parseWat(`${name}.wat`, text(), { simd: true });
      try {
        parsed.validate();
        module = new WebAssembly.Module(parsed.toBinary({}).buffer);
      } finally {
        parsed.destroy();
      }
      compiled.set(name, module);
    }
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    byName.set(name, exports);
  }
  return exports as T;
}

/** The active wasm backend's whole memory as float32 (a fresh view: memory may have grown). */
export function wasmHeap(): Float32Array {
  return new Float32Array(backendMemory('wasmHeap').memory.buffer);
}

/** WAT reading local `v` (`$name`). */
export const watGet = (v: string): string => `(local.get ${v})`;

/** WAT for the f32 sum of a v128's four float lanes. */
export const watLaneSum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

let label = 0;

/**
 * WAT for `for (v = from; v < to; v += step) body` over i32 locals (`to` an expression,
 * evaluated every turn).
 */
export function watFor(v: string, from: string, to: string, step: number, body: string): string {
  const id = ++label;
  return `(local.set ${v} ${from})
    (block $done${id} (loop $next${id}
      (br_if $done${id} (i32.ge_u (local.get ${v}) ${to}))
      ${body}
      (local.set ${v} (i32.add (local.get ${v}) (i32.const ${step})))
      (br $next${id})))`;
}
