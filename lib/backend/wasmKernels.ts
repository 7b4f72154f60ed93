import { tf } from './tf';
import { gradientMatMul, plainMatMul } from './wasmMatMul';
import { transposeBlocks } from './wasmTranspose';

/**
 * Faster kernels for the wasm backend, measured on this kind of machine (see DESIGN.md):
 * - Slice / Unpack / SplitV as shipped copy the WHOLE input out of wasm memory on every
 *   call (readSync); these read it in place and copy only the slice.
 * - BatchMatMul / _FusedMatMul are fast (XNNPACK) only without transposes, yet every
 *   backward matMul transposes; these transpose explicitly first. A plain product of one
 *   matrix each, a·b or aᵀ·b with n a multiple of 4, runs on gatebook's own SIMD kernels
 *   (`wasmMatMul.ts`: faster than this XNNPACK build, and no packing of b on every call).
 * - Concat as shipped makes a typed-array view per row and input (1,024 for four [256, 64]
 *   blocks along the last axis); this moves the rows within wasm memory (copyWithin).
 * - Transpose of the last two axes (what every weight gradient xᵀ·dy needs) takes ~13 ms
 *   for a [15360, 96] matrix as shipped; a banded copy in wasm memory takes ~2.5 ms, and 4 × 4
 *   blocks of WebAssembly SIMD shuffles (`wasmTranspose.ts`, rows and columns multiples of 4)
 *   less again.
 * - Identity copies its input as shipped, and autograd clones (Identity) every tensor it
 *   saves for the backward pass: all of a training step's activations were copied once more.
 *   Tensors are immutable here (no kernel writes into an input; a variable's assign swaps its
 *   data), so Identity shares the data by reference count, as the cpu backend's does.
 * - A batched BatchMatMul (batch > 1: attention's scores and weighted sums) runs a naive
 *   loop as shipped: [512, 60, 16]·[512, 16, 60] 33 ms; one XNNPACK matMul per batch entry
 *   takes 12 ms, and a right-hand side without batch makes the left one matrix (one call).
 * Same results as the stock kernels (a test compares training losses with the cpu backend).
 */
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> };
/** A tensor's data as tfjs's wasm backend sees it (what its kernels take and return). */
export type TensorInfo = { dataId: object; shape: number[]; dtype: string };
/** What gatebook uses of tfjs's wasm backend (here and in lib/ops' wasm kernels). */
export interface WasmBackend {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): void;
}
export type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

let installed = false;

export function speedUpWasm(): void {
  if (installed || tf.getBackend() !== 'wasm') return;
  const original = (name: string) => {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`wasm kernel ${name} is not registered`);
    return config;
  };
  const sliceOrig = original('Slice').kernelFunc as unknown as KernelFunc;
  const slice: KernelFunc = (args) => (args.inputs.x.dtype === 'string' ? sliceOrig(args) : fastSlice(args));
  replace('Slice', slice);
  replace('Unpack', (args) => unpack(args, slice));
  replace('SplitV', (args) => splitV(args, slice));
  const concatOrig = original('Concat').kernelFunc as unknown as KernelFunc;
  // mixed dtypes (int32 next to float32) are converted value by value by the stock kernel
  replace('Concat', (args) => (new Set(Object.values(args.inputs).map((t) => t.dtype)).size > 1 || Object.values(args.inputs)[0]?.dtype === 'string' ? concatOrig(args) : fastConcat(args, concatOrig)));
  const transposeOrig = original('Transpose').kernelFunc as unknown as KernelFunc;
  const transpose: KernelFunc = (args) => fastTranspose(args) ?? transposeOrig(args);
  replace('Transpose', transpose);
  const identityOrig = original('Identity').kernelFunc as unknown as KernelFunc;
  replace('Identity', (args) => (args.inputs.x.dtype === 'string' ? identityOrig(args) : sharedIdentity(args)));
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const stock = original(name).kernelFunc as unknown as KernelFunc;
    const matmul: KernelFunc = (args) => simdMatMul(args) ?? stock(args);
    replace(name, (args) => untransposedMatMul(args, name === 'BatchMatMul' ? (a) => batchedMatMul(a, matmul) : matmul, transpose));
  }
  installed = true;
}

function replace(name: string, kernelFunc: KernelFunc): void {
  const config = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

function sharedIdentity({ inputs: { x }, backend }: KernelArgs): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function fastSlice({ inputs: { x }, attrs, backend }: KernelArgs): TensorInfo {
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin as number[], attrs.size as number[]);
  const out = backend.makeOutput(size, x.dtype);
  // views taken after makeOutput: allocating may grow (and move) wasm memory
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  const run = size[rank - 1];
  const rows = size.slice(0, -1).reduce((a, b) => a * b, 1);
  const index = new Array(Math.max(0, rank - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (begin[d] + index[d]) * strides[d];
    dst.set(src.subarray(offset, offset + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Concat by moving each input's runs inside wasm memory, without a view per row. */
function fastConcat(args: KernelArgs, stock: KernelFunc): TensorInfo {
  const inputs = Object.values(args.inputs).filter((t) => t.shape.reduce((a, b) => a * b, 1) > 0);
  if (inputs.length < 2) return stock(args) as TensorInfo;
  const axis = tf.util.parseAxisParam(args.attrs.axis as number, inputs[0].shape)[0];
  const outShape = inputs[0].shape.slice();
  outShape[axis] = inputs.reduce((s, t) => s + t.shape[axis], 0);
  const out = args.backend.makeOutput(outShape, inputs[0].dtype);
  // views taken after makeOutput: allocating may grow (and move) wasm memory
  const dst = args.backend.typedArrayFromHeap(out);
  const heap = new (dst.constructor as Float32ArrayConstructor)(dst.buffer);
  const unit = dst.BYTES_PER_ELEMENT;
  const rows = outShape.slice(0, axis).reduce((a, b) => a * b, 1);
  const runs = inputs.map((t) => t.shape.slice(axis).reduce((a, b) => a * b, 1));
  const width = runs.reduce((a, b) => a + b, 0);
  const starts = inputs.map((t) => args.backend.typedArrayFromHeap(t).byteOffset / unit);
  const base = dst.byteOffset / unit;
  for (let r = 0; r < rows; r++) {
    let at = base + r * width;
    for (let i = 0; i < inputs.length; i++) {
      const from = starts[i] + r * runs[i];
      heap.copyWithin(at, from, from + runs[i]);
      at += runs[i];
    }
  }
  return out;
}

/** Swap the last two axes (other axes in place) within wasm memory, in bands of 64 rows; null for any other permutation or dtype. */
function fastTranspose({ inputs: { x }, attrs, backend }: KernelArgs): TensorInfo | null {
  const perm = attrs.perm as number[];
  const rank = x.shape.length;
  if (rank < 2 || x.dtype === 'string' || x.dtype === 'complex64' || perm.some((p, i) => p !== (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2))) return null;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const batch = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  // views taken after makeOutput: allocating may grow (and move) wasm memory
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  // 4-byte values in 4 × 4 blocks: WebAssembly SIMD (wasmTranspose.ts)
  if (src.BYTES_PER_ELEMENT === 4 && transposeBlocks(src.byteOffset, dst.byteOffset, batch, rows, cols)) return out;
  // row bands of 64; within a band, write each output row's run in order (reads stride by a row)
  const BAND = 64;
  for (let b = 0; b < batch; b++) {
    const from = b * rows * cols;
    for (let r0 = 0; r0 < rows; r0 += BAND) {
      const rEnd = Math.min(r0 + BAND, rows);
      for (let c = 0; c < cols; c++) {
        const to = from + c * rows;
        for (let r = r0; r < rEnd; r++) dst[to + r] = src[from + r * cols + c];
      }
    }
  }
  return out;
}

function unpack({ inputs: { value }, attrs, backend }: KernelArgs, slice: KernelFunc): TensorInfo[] {
  const rank = value.shape.length;
  const axis = ((attrs.axis as number) + rank) % rank;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array(rank).fill(0);
  const size = value.shape.slice();
  size[axis] = 1;
  return Array.from({ length: value.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const out = slice({ inputs: { x: value }, attrs: { begin: [...begin], size }, backend }) as TensorInfo;
    return { dataId: out.dataId, dtype: out.dtype, shape: outShape };
  });
}

function splitV({ inputs: { x }, attrs, backend }: KernelArgs, slice: KernelFunc): TensorInfo[] {
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
  const begin = new Array(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const part = slice({ inputs: { x }, attrs: { begin: [...begin], size }, backend }) as TensorInfo;
    begin[axis] += s;
    return part;
  });
}

function untransposedMatMul(args: KernelArgs, matmul: KernelFunc, transpose: KernelFunc): TensorInfo {
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return matmul(args) as TensorInfo;
  const gradient = simdMatMul(args); // aᵀ·b: no transpose needed
  if (gradient) return gradient;
  const temps: TensorInfo[] = [];
  const flip = (t: TensorInfo) => {
    const rank = t.shape.length;
    const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
    const out = transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as TensorInfo;
    temps.push(out);
    return out;
  };
  const inputs = { ...args.inputs, a: transposeA ? flip(args.inputs.a) : args.inputs.a, b: transposeB ? flip(args.inputs.b) : args.inputs.b };
  try {
    return matmul({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as TensorInfo;
  } finally {
    for (const t of temps) args.backend.disposeData(t.dataId);
  }
}

/**
 * a·b and aᵀ·b of one matrix each (n a multiple of 4), plain products (no bias or activation),
 * by gatebook's own SIMD kernels (`wasmMatMul.ts`), null for anything else. Measured
 * against the XNNPACK build tfjs ships, on this kind of machine: a·b 16–21 GMAC/s where XNNPACK
 * does 11–14 with b's packing cached ([7680, 64]·[64, 256] 11.0 → 6.6 ms; an LSTM step's
 * [128, 64]·[64, 256] 0.26 → 0.11 ms); aᵀ·b (every weight gradient xᵀ·dy) needs no transpose
 * of a and no packing of b — XNNPACK packs a new right-hand side on every call, and for an
 * LSTM layer's hᵀ·dz that cost more than its multiply-adds ([7680, 64]ᵀ·[7680, 256]: 24 → 7.5 ms).
 */
function simdMatMul(args: KernelArgs): TensorInfo | null {
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const { a, b } = args.inputs;
  if (transposeB || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== b.shape.length) return null;
  if (a.shape.slice(0, -2).some((d) => d !== 1) || b.shape.slice(0, -2).some((d) => d !== 1)) return null;
  if (Object.keys(args.inputs).length !== 2 || (args.attrs.activation ?? 'linear') !== 'linear') return null; // no bias or activation to apply
  const [rows, cols] = a.shape.slice(-2);
  const [inner, n] = b.shape.slice(-2);
  const [m, k] = transposeA ? [cols, rows] : [rows, cols];
  if (inner !== (transposeA ? rows : cols) || n % 4 !== 0) return null;
  const { backend } = args;
  const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  // byte offsets taken after makeOutput: allocating may grow (and move) wasm memory
  const at = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  if (transposeA ? gradientMatMul(at(a), at(b), at(out), rows, cols, n) : plainMatMul(at(a), at(b), at(out), m, k, n)) return out;
  backend.disposeData(out.dataId);
  return null;
}

/** Below this many multiply-adds per batch entry the stock loop is as fast as a call per entry. */
const PER_ENTRY_MIN = 4096;

/**
 * An untransposed BatchMatMul with batch dimensions: b without batch → a as one [batch·m, k]
 * matrix; equal batches → gatebook's SIMD kernel on each entry in place (n a multiple of 4),
 * else one XNNPACK matMul per entry (copied out, a fresh b each time: XNNPACK caches a
 * right-hand side's packing by tensor id). Broadcasting otherwise, and small entries, go to
 * the stock kernel.
 */
function batchedMatMul(args: KernelArgs, matmul: KernelFunc): TensorInfo {
  const { a, b } = args.inputs;
  const { backend } = args;
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  if (batchA <= 1 || a.dtype !== 'float32' || b.dtype !== 'float32') return matmul(args) as TensorInfo;
  const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n];
  if (batchB === 1) {
    const out = matmul({ ...args, inputs: { a: { ...a, shape: [1, batchA * m, k] }, b: { ...b, shape: [1, k, n] } } }) as TensorInfo;
    return { ...out, shape: outShape };
  }
  if (batchB !== batchA) return matmul(args) as TensorInfo;
  if (n % 4 === 0) {
    // gatebook's SIMD kernel on each entry where it lies: no copies
    const out = backend.makeOutput(outShape, 'float32');
    const at = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset; // after makeOutput: memory may have moved
    const [pa, pb, pc] = [at(a), at(b), at(out)];
    for (let i = 0; i < batchA; i++) plainMatMul(pa + 4 * i * m * k, pb + 4 * i * k * n, pc + 4 * i * m * n, m, k, n);
    return out;
  }
  if (m * k * n < PER_ENTRY_MIN) return matmul(args) as TensorInfo;
  const out = backend.makeOutput(outShape, 'float32');
  const aEntry = backend.makeOutput([1, m, k], 'float32');
  try {
    for (let i = 0; i < batchA; i++) {
      const bEntry = backend.makeOutput([1, k, n], 'float32');
      // views taken after each allocation: allocating may grow (and move) wasm memory
      backend.typedArrayFromHeap(aEntry).set(backend.typedArrayFromHeap(a).subarray(i * m * k, (i + 1) * m * k));
      backend.typedArrayFromHeap(bEntry).set(backend.typedArrayFromHeap(b).subarray(i * k * n, (i + 1) * k * n));
      const part = matmul({ ...args, inputs: { a: aEntry, b: bEntry } }) as TensorInfo;
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(part), i * m * n);
      backend.disposeData(part.dataId);
      backend.disposeData(bEntry.dataId);
    }
  } finally {
    backend.disposeData(aEntry.dataId);
  }
  return out;
}
