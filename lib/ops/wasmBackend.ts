import { tf } from '../backend/tf';
import type { KernelFunc, TensorInfo, WasmBackend } from '../backend/wasmKernels';

export type { TensorInfo };

/**
 * What gatebook's wasm kernels use of tfjs's wasm backend: outputs allocated in its memory,
 * views of a tensor's values there, and its own kernels (matMul, vectorized Sigmoid)
 * called directly, without the engine's per-op bookkeeping. A view is taken when it is used:
 * allocating may grow (and move) wasm memory.
 */
export interface WasmKernelContext {
  /** a new float32 tensor's storage (its values unset) */
  output(shape: number[]): TensorInfo;
  /** the values of a tensor, or of an output, in wasm memory */
  heap(t: TensorInfo | tf.Tensor): Float32Array;
  /** where those values start, in bytes (stable when memory grows): what gatebook's WebAssembly takes */
  address(t: TensorInfo | tf.Tensor): number;
  free(...t: Array<TensorInfo | null>): void;
  /** a · b of rank-3 [1, m, k] · [1, k, n] (the backend's BatchMatMul as gatebook registers it: `backend/wasmMatMul.ts` for n a multiple of 4) */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo;
  sigmoid(x: TensorInfo): TensorInfo;
  /** an output as the engine's tensor (the caller's result) */
  tensor<T extends tf.Tensor>(t: TensorInfo): T;
}

export function wasmKernelContext(): WasmKernelContext {
  const backend = tf.backend() as unknown as WasmBackend;
  const kernel = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc as unknown as KernelFunc;
  const matMul = kernel('BatchMatMul');
  const sigmoid = kernel('Sigmoid');
  return {
    output: (shape) => backend.makeOutput(shape, 'float32'),
    heap: (t) => backend.typedArrayFromHeap(t as unknown as TensorInfo) as Float32Array, // float32 tensors only
    address: (t) => backend.typedArrayFromHeap(t as unknown as TensorInfo).byteOffset,
    free: (...ts) => { for (const t of ts) if (t) backend.disposeData(t.dataId); },
    matMul: (a, b) => matMul({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo,
    sigmoid: (x) => sigmoid({ inputs: { x }, backend, attrs: {} }) as TensorInfo,
    tensor: <T extends tf.Tensor>(t: TensorInfo) => tf.engine().makeTensorFromTensorInfo(t as unknown as tf.TensorInfo) as T,
  };
}
