import { tf } from '../backend/tf';

/**
 * What gatebook's WGSL kernels hand to tfjs's webgpu backend (its WebGPUProgram): the backend
 * writes the bindings (`result`, one read-only array per variable name, `uniforms` with each
 * input's shape), the `_start` entry calling `main`, and keeps the pipeline cache and command
 * batching. A flat `dispatchLayout` (x only) makes `main(index : i32)` get the global thread
 * index; `size: true` adds `uniforms.size` (the output's element count). A shader must read
 * `uniforms` (Dawn drops an unused binding from the pipeline's layout, the bind group tfjs
 * makes then fails validation, and the dispatch silently does nothing).
 */
export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  /** extra uniform fields, e.g. 'lr : f32, eps : f32,' or 'seed : u32,' (their values are passed to runProgram) */
  uniforms?: string;
  getUserCode(): string;
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: Array<{ type: string; data: number[] }>): tf.TensorInfo;
  device?: { limits: { maxComputeInvocationsPerWorkgroup: number } };
}

/**
 * Runs a program on the active (webgpu) backend; `values` are the values of its extra uniforms,
 * in order: a number for an f32 field, { type: 'u32', value } for a u32 one.
 */
export function runProgram(program: WebGpuProgram, inputs: tf.Tensor[], values?: Array<number | { type: 'u32'; value: number }>): tf.Tensor {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const uniforms = values?.map((x) => (typeof x === 'number' ? { type: 'float32', data: [x] } : { type: 'uint32', data: [x.value >>> 0] }));
  return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(program, inputs, 'float32', uniforms));
}

/** The adapter's limit on threads in one workgroup (256 when unknown). */
export function maxWorkgroupThreads(): number {
  return (tf.backend() as unknown as WebGpuBackendLike).device?.limits.maxComputeInvocationsPerWorkgroup ?? 256;
}

/**
 * A flat program of `threads` threads in workgroups of 64 over an output of `outputShape`;
 * `code` a function, called only when tfjs first makes the pipeline (as its own programs'
 * getUserCode: the text is not built again at every dispatch).
 */
export function flatProgram(shaderKey: string, outputShape: number[], threads: number, variableNames: string[], code: () => string, extra: Partial<WebGpuProgram> = {}): WebGpuProgram {
  return {
    outputShape, shaderKey, variableNames, workgroupSize: [64, 1, 1],
    dispatchLayout: { x: outputShape.map((_, i) => i) }, dispatch: [Math.ceil(Math.max(1, threads) / 64), 1, 1],
    getUserCode: code, ...extra,
  };
}

/**
 * WGSL: a workgroup's reduction of the per-thread values in each of `arrays` (workgroup arrays
 * of `threads` f32, a power of two; the thread's own slot is `j`) into element 0 of each —
 * from the barrier after every thread wrote its slot to the barrier after the last halving.
 */
export function workgroupSum(arrays: string[], threads: number): string {
  return `
        workgroupBarrier();
        for (var half = ${threads / 2}; half > 0; half = half / 2) {
          if (j < half) { ${arrays.map((a) => `${a}[j] = ${a}[j] + ${a}[j + half];`).join(' ')} }
          workgroupBarrier();
        }`;
}

/** A float as a WGSL f32 literal with the float32 value tfjs's scalar of it holds. */
export function f32(x: number): string {
  const v = Math.fround(x);
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}
