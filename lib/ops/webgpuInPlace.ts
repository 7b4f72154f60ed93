import { tf } from '../backend/tf';
import { uniformBuffer, type UniformBackend } from '../backend/uniformCache';

/**
 * A WGSL kernel that writes several tensors in place, recorded into tfjs's webgpu command stream.
 *
 * tfjs's programs (`webgpuProgram.ts`) write one new output each, so an update of k tensors
 * (Adam's first moment, second moment and value) is k dispatches. This records one dispatch
 * that binds the `written` tensors' own buffers read-write, next to tfjs's own dispatches: the
 * same compute pass, the same batching into submits (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE), every
 * bound tensor kept from the buffer pool until its submit (as tfjs keeps its own). WebGPU orders
 * dispatches, so the tensors read earlier in the step read the values from before.
 *
 * Writing in place is only right where no other tensor sees the buffer: `writableInPlace` says
 * whether a tensor owns its buffer alone (tfjs shares a buffer between a tensor and its clones
 * and reshapes; such a tensor is left to the caller's copying path). A copy of the values tfjs
 * cached on the CPU by an earlier read is dropped. Tied to tfjs 4.22's backend internals
 * (tensorMap, the command encoder and pass, commandQueueOwnedIds): `inPlaceAvailable` is false
 * where they are missing or with GATEBOOK_WEBGPU_IN_PLACE=0, and callers take their copying
 * path. While tfjs times its kernels (`backend.time`, tf.profile) each dispatch is timed as
 * tfjs times its own: a pass of its own with timestamps, named by the kernel's key.
 */
export interface InPlaceKernel {
  /** names the pipeline in the cache: the same key, the same code */
  key: string;
  /** storage arrays of f32 written in place, in the order of `written` */
  written: string[];
  /** storage arrays of f32 only read, in the order of `read` */
  read: string[];
  /** uniform fields, 4 bytes each, e.g. ['size : i32', 'lr : f32'] (their values go to `runInPlace`) */
  uniforms: string[];
  /**
   * WGSL defining `fn main(index : i32)`, run once for each index below `threads` (`localId`,
   * `workgroupId` and `numWorkgroups` are there too, as in tfjs's shaders); a function, called
   * only when the pipeline is first made (the text is not built again at every dispatch)
   */
  main: () => string;
  /** threads a workgroup (64 by default) */
  workgroupSize?: number;
  /**
   * Written arrays (by name) that start at zero (their buffers cleared before the dispatch, no
   * fill dispatch) and are arrays of atomic<i32> that the kernel adds floats to with
   * `add_NAME(i, v)` (a compare-exchange loop, as tfjs's split-K matMul): for sums split across
   * workgroups. The order of the additions varies from run to run.
   */
  accumulate?: string[];
}

interface TensorData { resource?: unknown; refCount: number; values?: unknown; external?: boolean }
interface GpuPass { setPipeline(p: unknown): void; setBindGroup(i: number, g: unknown): void; dispatchWorkgroups(x: number, y?: number, z?: number): void }
interface GpuDevice {
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): { getBindGroupLayout(i: number): unknown };
  createBindGroup(d: { layout: unknown; entries: Array<{ binding: number; resource: { buffer: unknown; offset?: number; size?: number } }> }): unknown;
  createQuerySet(d: { type: 'timestamp'; count: number }): unknown;
  queue: { writeBuffer(b: unknown, offset: number, data: ArrayBuffer, dataOffset: number, size: number): void };
  limits: { maxComputeWorkgroupsPerDimension: number; maxStorageBuffersPerShaderStage: number };
}
interface WebGpuInternals {
  device: GpuDevice;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  tensorMap: { get(id: object): TensorData | undefined };
  commandEncoder: { beginComputePass(d: object): GpuPass; clearBuffer(buffer: unknown): void } | null;
  computePassEncoder: GpuPass | null;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: unknown[];
  bufferManager: { acquireBuffer(size: number, usage: number): unknown };
  dispatchCountInPass: number;
  activeTimers: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: unknown;
  querySetCount: number;
  getQueryTime(): Promise<number>;
  uploadToGPU(id: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const WORKGROUP = 64;
/** Each device's pipelines by kernel key, with their bind-group layout (asked once: the call makes a new wrapper object each time). */
const pipelines = new WeakMap<object, Map<string, { pipeline: unknown; layout: unknown }>>();

function internals(): WebGpuInternals | null {
  if (tf.getBackend() !== 'webgpu' || process.env.GATEBOOK_WEBGPU_IN_PLACE === '0') return null;
  const b = tf.backend() as unknown as Partial<WebGpuInternals>;
  const complete = b.device && typeof b.makeTensorInfo === 'function' && b.tensorMap && b.commandQueueOwnedIds && b.uniformPendingDisposal && b.bufferManager &&
    typeof b.ensureCommandEncoderReady === 'function' && typeof b.endComputePassEncoder === 'function' && typeof b.submitQueue === 'function' && typeof b.uploadToGPU === 'function';
  return complete ? (b as WebGpuInternals) : null;
}

/** The active backend is webgpu with the internals this needs. */
export function inPlaceAvailable(): boolean {
  return internals() !== null;
}

/**
 * New float32 tensors with GPU buffers of their own and unspecified contents (no dispatch:
 * tfjs takes the buffers from its pool), for a kernel that writes them all (`runInPlace`) —
 * several outputs from one dispatch, where a tfjs program writes one.
 */
export function newOutputs(shapes: number[][]): tf.Tensor[] {
  const b = internals();
  if (!b) throw new Error('newOutputs needs the webgpu backend (see inPlaceAvailable)');
  return shapes.map((shape) => {
    const info = b.makeTensorInfo(shape, 'float32');
    b.uploadToGPU(info.dataId);
    return tf.engine().makeTensorFromTensorInfo(info);
  });
}

/**
 * A tensor of `shape` sharing `t`'s buffer, made without running a kernel (what tfjs's reshape
 * kernel returns, less the engine's op: scopes, the tape, ~15 µs of the main thread). Not
 * taped, so only where no gradient is taken through it: inside a gradient function. `t`
 * itself when the shape is its own.
 */
export function view(t: tf.Tensor, shape: number[]): tf.Tensor {
  if (shape.length === t.rank && shape.every((n, i) => n === t.shape[i])) return t;
  const size = tf.util.sizeFromShape(shape);
  if (size !== t.size) throw new Error(`view: [${t.shape}] has ${t.size} elements, [${shape}] ${size}`);
  (tf.backend() as unknown as { incRef(dataId: object): void }).incRef(t.dataId); // as the reshape kernel: the buffer now has one more tensor
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape, dtype: t.dtype });
}

/** The device's limit on storage buffers a kernel binds (8 where unknown: WebGPU's default). */
export function storageBuffersPerStage(): number {
  return internals()?.device.limits.maxStorageBuffersPerShaderStage ?? 8;
}

/** The device's limit on workgroups along one dimension of a dispatch (65,535 where unknown: WebGPU's default). */
export function workgroupsPerDimension(): number {
  return internals()?.device.limits.maxComputeWorkgroupsPerDimension ?? 65535;
}

/**
 * The value of a one-element float32 tensor whose value tfjs holds on the CPU only (no GPU
 * buffer yet: a scalar made from a number, such as the gradient's seed 1 at backprop's start),
 * read without reading the GPU; null for any other tensor. A kernel can take it as a uniform
 * instead of tfjs uploading it (a mapped buffer made and copied at every step).
 */
export function valueOnCpu(t: tf.Tensor): number | null {
  const data = internals()?.tensorMap.get(t.dataId);
  if (!data || data.resource || t.size !== 1 || t.dtype !== 'float32') return null;
  const values = data.values as ArrayLike<number> | null | undefined;
  return values && values.length === 1 ? values[0] : null;
}

/** Puts `t`'s values in a GPU buffer where they are only on the CPU (tfjs keeps a small tensor there until a dispatch reads it). */
export function onDevice(t: tf.Tensor): void {
  internals()?.uploadToGPU(t.dataId);
}

/** `t` is on the GPU in a buffer of its own: no clone or reshape shares it, it is not the user's buffer. */
export function writableInPlace(t: tf.Tensor): boolean {
  const data = internals()?.tensorMap.get(t.dataId);
  return Boolean(data && data.resource && data.refCount === 1 && !data.external && t.dtype === 'float32');
}

/** WGSL: adds a float to element i of an array of atomic<i32> holding float bits (a compare-exchange loop). */
function atomicAdd(name: string): string {
  return `
fn add_${name}(i : i32, v : f32) {
  var old = atomicLoad(&${name}[i]);
  loop {
    let exchange = atomicCompareExchangeWeak(&${name}[i], old, bitcast<i32>(bitcast<f32>(old) + v));
    if (exchange.exchanged) { break; }
    old = exchange.old_value;
  }
}`;
}

function shader(kernel: InPlaceKernel): string {
  const arrays = [
    ...kernel.written.map((name, i) => `@group(0) @binding(${i}) var<storage, read_write> ${name} : array<${kernel.accumulate?.includes(name) ? 'atomic<i32>' : 'f32'}>;`),
    ...kernel.read.map((name, i) => `@group(0) @binding(${kernel.written.length + i}) var<storage, read> ${name} : array<f32>;`),
  ];
  const fields = [...kernel.uniforms, ...Array.from({ length: (4 - (kernel.uniforms.length % 4)) % 4 }, (_, i) => `_pad${i} : i32`)];
  // no uniforms, no binding (a binding the shader never reads leaves the pipeline's layout, and WGSL has no empty struct)
  const uniforms = kernel.uniforms.length ? `
struct Uniforms { ${fields.join(', ')}, };
@group(0) @binding(${kernel.written.length + kernel.read.length}) var<uniform> uniforms : Uniforms;` : '';
  return `${arrays.join('\n')}${uniforms}
var<private> localId : vec3<u32>;
var<private> workgroupId : vec3<u32>;
var<private> numWorkgroups : vec3<u32>;${(kernel.accumulate ?? []).map(atomicAdd).join('')}
${kernel.main()}
@compute @workgroup_size(${kernel.workgroupSize ?? WORKGROUP})
fn _start(@builtin(global_invocation_id) id : vec3<u32>, @builtin(local_invocation_id) local : vec3<u32>,
          @builtin(workgroup_id) group : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  localId = local;
  workgroupId = group;
  numWorkgroups = groups;
  main(i32(id.x + id.y * groups.x * ${kernel.workgroupSize ?? WORKGROUP}u));
}`;
}

/**
 * Records `kernel` over `threads` indices: `written` updated in place (each must pass
 * `writableInPlace`), `read` only read, `uniforms` the values of its uniform fields (i32 fields
 * rounded, u32 as their 32 bits, f32 as float32).
 */
export function runInPlace(kernel: InPlaceKernel, written: tf.Tensor[], read: tf.Tensor[], uniforms: Array<{ type: 'i32' | 'u32' | 'f32'; value: number }>, threads: number): void {
  const b = internals();
  if (!b) throw new Error('runInPlace needs the webgpu backend (see inPlaceAvailable)');
  for (const t of written) if (!writableInPlace(t)) throw new Error(`runInPlace (${kernel.key}): a written tensor shares its buffer; use the copying path`);
  const device = b.device;
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let made = cache.get(kernel.key);
  if (!made) {
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: shader(kernel) }), entryPoint: '_start' } });
    made = { pipeline, layout: pipeline.getBindGroupLayout(0) };
    cache.set(kernel.key, made);
  }
  const { pipeline, layout } = made;
  const tensors = [...written, ...read];
  for (const t of read) b.uploadToGPU(t.dataId);
  const entries = tensors.map((t, i) => ({ binding: i, resource: { buffer: b.tensorMap.get(t.dataId)!.resource } }));
  if (uniforms.length) {
    const bytes = new ArrayBuffer(16 * Math.ceil(uniforms.length / 4));
    const fields = new DataView(bytes);
    uniforms.forEach((u, i) => {
      if (u.type === 'f32') fields.setFloat32(4 * i, u.value, true);
      else if (u.type === 'u32') fields.setUint32(4 * i, u.value >>> 0, true);
      else fields.setInt32(4 * i, Math.round(u.value), true);
    });
    entries.push({ binding: tensors.length, resource: { buffer: uniformBuffer(b as unknown as UniformBackend, bytes) } }); // one buffer per content (backend/uniformCache.ts)
  }
  const bindGroup = device.createBindGroup({ layout, entries });
  // workgroups past one dimension's limit go on in a second row (y): main's index counts on across rows
  const groups = Math.max(1, Math.ceil(threads / (kernel.workgroupSize ?? WORKGROUP)));
  const perRow = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  const timed = b.activeTimers != null && b.supportTimestampQuery;
  b.ensureCommandEncoderReady();
  if (kernel.accumulate?.length) { // zeros to add to: cleared outside a compute pass, ordered before the dispatch
    b.endComputePassEncoder();
    written.forEach((t, i) => kernel.accumulate!.includes(kernel.written[i]) && b.commandEncoder!.clearBuffer(b.tensorMap.get(t.dataId)!.resource));
  }
  if (timed) { // as tfjs times a program (recordAndSubmit): a pass of its own between two timestamps
    b.endComputePassEncoder();
    b.querySet ??= device.createQuerySet({ type: 'timestamp', count: b.querySetCount });
    b.computePassEncoder = b.commandEncoder!.beginComputePass({ timestampWrites: { querySet: b.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  }
  b.computePassEncoder ??= b.commandEncoder!.beginComputePass({});
  b.computePassEncoder.setPipeline(pipeline);
  b.computePassEncoder.setBindGroup(0, bindGroup);
  b.computePassEncoder.dispatchWorkgroups(perRow, Math.ceil(groups / perRow), 1);
  for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId); // kept from the pool until this submit
  for (const t of written) b.tensorMap.get(t.dataId)!.values = null; // a copy read back earlier is stale now
  b.dispatchCountInPass++;
  if (timed) {
    b.endComputePassEncoder();
    b.activeTimers!.push({ name: kernel.key, query: b.getQueryTime() });
  } else if (b.dispatchCountInPass >= Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'))) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}
