/**
 * WebGPU through Dawn's Node bindings (npm `webgpu`) for @tensorflow/tfjs-backend-webgpu: the
 * GPU path on boxes where tfjs-node-gpu cannot load (CUDA 12/13; `../shared/GPU.md`).
 *
 * Adapter choice: Dawn's Vulkan backend first, its OpenGL ES backend (compatibility) when Vulkan
 * shows no hardware adapter. A software adapter (lavapipe, SwiftShader) is taken only when the
 * backend is forced (GATEBOOK_BACKEND=webgpu): the tests run on lavapipe, a real run never does
 * by accident. The device asks for the adapter's own limits — above all
 * maxStorageBuffersPerShaderStage: with the default 8, tf.addN over more than 7 tensors builds an
 * invalid pipeline and training goes on with wrong losses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tf } from './tf';
import { GatebookError } from '../util/errors';
import { packageRoot } from '../util/packageRoot';
import { spaceDawnPolls } from './dawnPolling';
import { cacheBindGroups, reuseEnabled } from './bindGroupCache';
import { cacheUniforms, uniformsNextStep, type UniformBackend } from './uniformCache';

export type DawnBackend = 'vulkan' | 'opengles';

/** What was found, for the env gate and `gatebook env`. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  dawnBackend: DawnBackend;
  /** lavapipe, SwiftShader: the GPU's work on the CPU; never chosen unless forced */
  software: boolean;
  limits: { maxStorageBuffersPerShaderStage: number; maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupSizeX: number; maxComputeInvocationsPerWorkgroup: number };
}

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike { requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null> }
interface AdapterLike {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  features: Set<string>;
  requestDevice(descriptor?: Record<string, unknown>): Promise<unknown>;
}

export interface AdapterSearch {
  /** The adapter to use, or null. */
  chosen: { adapter: AdapterLike; gpu: GpuLike; info: WebGpuAdapterInfo } | null;
  /** Every adapter seen, software ones included (the doctor shows them). */
  seen: WebGpuAdapterInfo[];
  /** Why none was chosen, in words (null when one was). */
  problem: string | null;
}

let dawn: DawnModule | null = null;
let registered: WebGpuAdapterInfo | null = null;

/** The adapter tfjs's webgpu backend runs on in this process (null before it loads). */
export function webgpuAdapter(): WebGpuAdapterInfo | null {
  return registered;
}

function loadDawn(): DawnModule {
  if (!dawn) {
    spaceDawnPolls(); // Dawn polls with setImmediate while a read is pending: ~150,000 times a second otherwise
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dawn = require('webgpu') as DawnModule;
    Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, … : tfjs's backend reads them as globals
  }
  return dawn;
}

/** NVIDIA's Vulkan ICD file in the places drivers and container toolkits put it. */
const NVIDIA_ICDS = ['/usr/share/vulkan/icd.d/nvidia_icd.json', '/etc/vulkan/icd.d/nvidia_icd.json', '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json', '/usr/local/share/vulkan/icd.d/nvidia_icd.json'];
const NVIDIA_EGL_VENDOR = ['/usr/share/glvnd/egl_vendor.d/10_nvidia.json', '/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json'];

/** A Vulkan driver file other than a software one is installed (else probing Dawn in every process is wasted time and noise). */
export function hardwareIcdPresent(): boolean {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json') && !/lvp|lavapipe|swiftshader/i.test(f)));
}

/** The lavapipe ICD `scripts/install-lavapipe.sh` writes (or GATEBOOK_LAVAPIPE_ICD): the tests' software adapter. */
export function lavapipeIcd(): string | null {
  const file = process.env.GATEBOOK_LAVAPIPE_ICD || join(packageRoot(), '.cache', 'lavapipe', 'lvp_icd.json');
  return existsSync(file) ? file : null;
}

/**
 * Points the Vulkan loader and EGL at the drivers present, before Dawn creates its instance:
 * NVIDIA's ICD (container images keep it under /usr/local/nvidia, where the loader does not look)
 * and, when `withSoftware`, the project's lavapipe. Nothing is changed when the user set
 * VK_DRIVER_FILES / VK_ICD_FILENAMES themselves.
 */
function pointLoaderAtDrivers(withSoftware: boolean): void {
  if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES) {
    const files = [NVIDIA_ICDS.find((f) => existsSync(f)), withSoftware ? lavapipeIcd() : null].filter((f): f is string => Boolean(f));
    if (files.length) process.env.VK_DRIVER_FILES = files.join(':');
  }
  if (!process.env.__EGL_VENDOR_LIBRARY_FILENAMES) {
    const egl = NVIDIA_EGL_VENDOR.find((f) => existsSync(f));
    if (egl?.startsWith('/usr/local/')) process.env.__EGL_VENDOR_LIBRARY_FILENAMES = egl;
  }
}

function describe(adapter: AdapterLike, dawnBackend: DawnBackend): WebGpuAdapterInfo {
  const i = adapter.info;
  const l = adapter.limits;
  const software = Boolean(i.isFallbackAdapter) || i.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${i.device} ${i.description}`);
  return {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, dawnBackend, software,
    limits: {
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize, maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  };
}

/** Vulkan first, then OpenGL ES; a hardware adapter wins; a software one only when `allowSoftware`. */
export async function findAdapter(allowSoftware: boolean): Promise<AdapterSearch> {
  pointLoaderAtDrivers(allowSoftware);
  let module: DawnModule;
  try {
    module = loadDawn();
  } catch (error) {
    return { chosen: null, seen: [], problem: `Dawn's Node bindings (npm webgpu) do not load: ${(error as Error).message.split('\n')[0]}` };
  }
  const seen: AdapterSearch['seen'] = [];
  let software: NonNullable<AdapterSearch['chosen']> | null = null;
  const only = process.env.GATEBOOK_DAWN_BACKEND; // 'vulkan' or 'opengles': try that one only
  const attempts = ([
    ['vulkan', [], { powerPreference: 'high-performance' }],
    ['opengles', ['backend=opengles'], { powerPreference: 'high-performance', featureLevel: 'compatibility' }],
  ] as Array<[DawnBackend, string[], Record<string, unknown>]>).filter(([name]) => !only || name === only);
  for (const [backend, options, request] of attempts) {
    const gpu = module.create(options);
    const adapter = await gpu.requestAdapter(request).catch(() => null);
    if (!adapter) continue;
    const info = describe(adapter, backend);
    seen.push(info);
    if (!info.software) return { chosen: { adapter, gpu, info }, seen, problem: null };
    software ??= { adapter, gpu, info };
  }
  if (software && allowSoftware) return { chosen: software, seen, problem: null };
  const problem = software
    ? `only a software adapter (${software.info.description || software.info.device}) was found; it is used only when forced (GATEBOOK_BACKEND=webgpu)`
    : 'no WebGPU adapter (Dawn found no Vulkan or OpenGL ES driver)';
  return { chosen: null, seen, problem };
}

/**
 * The webgpu backend registered earlier in this process is still there and is one this
 * selection may use (a software adapter only when forced; the Dawn backend GATEBOOK_DAWN_BACKEND
 * names): reuse it. A new search and device per selection leaked the old device — tfjs's
 * dispose does not destroy it — and on lavapipe each one's memory mappings, until a test file
 * that switched between cpu and webgpu ~60 times ran out of them (vm.max_map_count) and the
 * driver crashed.
 */
export function registeredWebGpuFits(allowSoftware: boolean): boolean {
  if (!registered || !tf.findBackend('webgpu')) return false;
  if (registered.software && !allowSoftware) return false;
  const only = process.env.GATEBOOK_DAWN_BACKEND;
  return !only || registered.dawnBackend === only;
}

/**
 * Makes tfjs's `webgpu` backend run on `chosen` (our own factory, so the adapter is the one we
 * picked and the device has its limits), and counts dispatches (the measure of per-op overhead).
 */
export async function registerWebGpu(chosen: NonNullable<AdapterSearch['chosen']>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend };
  const { adapter, gpu, info } = chosen;
  // tfjs's backend checks navigator.gpu (Node 20 has no navigator; Node 21+ has one without gpu)
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: Object.assign(Object.create(nav), { gpu }), configurable: true, writable: true });
  const l = adapter.limits;
  const limitNames = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize',
    'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage'];
  const device = await (adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: Object.fromEntries(limitNames.filter((n) => l[n] !== undefined).map((n) => [n, l[n]])),
  }) as Promise<{ addEventListener(type: 'uncapturederror', listener: (e: { error: { message: string } }) => void): void }>);
  // Dawn reports an invalid shader, pipeline or bind group here and the dispatch does nothing:
  // kept, so the training loop can fail instead of going on with wrong values
  device.addEventListener('uncapturederror', (e) => void deviceErrors.push(e.error.message));
  countDispatches();
  cacheBindGroups(device as unknown as Parameters<typeof cacheBindGroups>[0], (loadDawn().globals as { GPUComputePipeline?: { prototype: { getBindGroupLayout(i: number): object } } }).GPUComputePipeline?.prototype);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => {
    const backend = new WebGPUBackend(device, adapter.info);
    cacheUniforms(backend as unknown as UniformBackend); // uniforms written once per content: bind groups that repeat
    return backend;
  }, 0);
  registered = info;
}

let dispatches = 0;
let counting = false;
const deviceErrors: string[] = [];

/**
 * Throws when the WebGPU device rejected work since the last call (a shader that does not
 * compile, a pipeline past a limit, a bind group that does not fit): that work did not run,
 * and what was computed after it is wrong. Call after a read (errors arrive asynchronously).
 */
export function assertWebgpuHealthy(where: string): void {
  if (deviceErrors.length === 0) return;
  const errors = deviceErrors.splice(0);
  throw new GatebookError(`WebGPU rejected work during ${where} (${errors.length} error${errors.length > 1 ? 's' : ''}; that work did not run and the results after it are wrong): ` +
    `${errors[0].split('\n').slice(0, 2).join(' ')} — nothing was saved. Run with GATEBOOK_FUSED=0 to rule out gatebook's kernels, or GATEBOOK_BACKEND=wasm.`);
}

/**
 * Submits what the webgpu backend has recorded (tfjs submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
 * dispatches, wherever a step is then): called at the end of a training step, so every step ends
 * its command buffer alike, the tensors it freed go back to the pool in the same order, and the
 * next step is handed the same buffers — which lets its bind groups come from the cache
 * (`bindGroupCache.ts`). Nothing on other backends, with nothing recorded, or with
 * GATEBOOK_WEBGPU_BIND_CACHE=0.
 */
export function submitWebgpuWork(): void {
  if (tf.getBackend() !== 'webgpu' || !reuseEnabled()) return;
  const b = tf.backend() as unknown as { dispatchCountInPass?: number; commandEncoder?: unknown; endComputePassEncoder?: () => void; submitQueue?: () => void };
  uniformsNextStep();
  if (!b.commandEncoder || !b.dispatchCountInPass || typeof b.endComputePassEncoder !== 'function' || typeof b.submitQueue !== 'function') return;
  b.endComputePassEncoder();
  b.submitQueue();
}

/** Compute dispatches issued on the webgpu backend since the process started. */
export function webgpuDispatches(): number {
  return dispatches;
}

function countDispatches(): void {
  if (counting) return;
  const pass = (loadDawn().globals as { GPUComputePassEncoder?: { prototype: { dispatchWorkgroups: (...a: number[]) => void } } }).GPUComputePassEncoder;
  if (!pass) return;
  const original = pass.prototype.dispatchWorkgroups;
  pass.prototype.dispatchWorkgroups = function (this: unknown, ...args: number[]) {
    dispatches++;
    return original.apply(this, args);
  };
  counting = true;
}

/** One line for a report: "NVIDIA H200 (nvidia, Vulkan)" / "llvmpipe … (mesa, Vulkan, software)". */
export function adapterLine(a: WebGpuAdapterInfo): string {
  return `${a.description || a.device || a.architecture} (${a.vendor}, ${a.dawnBackend === 'vulkan' ? 'Vulkan' : 'OpenGL ES'}${a.software ? ', software' : ''})`;
}

export interface GpuDoctorCheck {
  name: string;
  /** true for an optional piece, present or not (it is only shown) */
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * Why a box with an NVIDIA GPU shows no WebGPU adapter, piece by piece, each with the fix:
 * the GPU itself, Vulkan's loader, glvnd (NVIDIA's Vulkan ICD is libGLX_nvidia.so.0, which needs
 * libGLdispatch), the ICD file, and the container's graphics capability.
 */
export function gpuDoctor(): GpuDoctorCheck[] {
  const gpu = run('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  const libs = run('ldconfig', ['-p']) ?? '';
  const has = (so: string) => libs.split('\n').some((l) => l.trim().startsWith(`${so} `)) || existsSync(`/usr/local/nvidia/lib64/${so}`);
  const icd = (process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || '').split(':').find((f) => f && existsSync(f)) ?? NVIDIA_ICDS.find((f) => existsSync(f));
  const caps = process.env.NVIDIA_DRIVER_CAPABILITIES;
  const packages = 'apt-get install -y libvulkan1 libglvnd0 libegl1';
  return [
    { name: 'NVIDIA GPU', ok: Boolean(gpu), detail: gpu ? gpu.trim().split('\n')[0] : 'nvidia-smi shows none', fix: gpu ? undefined : 'run on a box with an NVIDIA GPU and its driver (nvidia-smi must list it)' },
    { name: 'Vulkan loader (libvulkan.so.1)', ok: has('libvulkan.so.1'), detail: has('libvulkan.so.1') ? 'found' : 'missing', fix: has('libvulkan.so.1') ? undefined : packages },
    { name: 'glvnd (libGLdispatch.so.0, libEGL.so.1)', ok: has('libGLdispatch.so.0') && has('libEGL.so.1'), detail: `libGLdispatch ${has('libGLdispatch.so.0') ? 'found' : 'missing'}, libEGL ${has('libEGL.so.1') ? 'found' : 'missing'}`, fix: has('libGLdispatch.so.0') && has('libEGL.so.1') ? undefined : packages },
    { name: "NVIDIA's Vulkan driver (libGLX_nvidia.so.0)", ok: has('libGLX_nvidia.so.0'), detail: has('libGLX_nvidia.so.0') ? 'found' : 'missing', fix: has('libGLX_nvidia.so.0') ? undefined : 'the container needs the graphics capability: NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all)' },
    { name: 'Vulkan ICD file', ok: Boolean(icd), detail: icd ? `${icd}${icdLibrary(icd) ? ` → ${icdLibrary(icd)}` : ''}` : `none in ${NVIDIA_ICDS.join(', ')}`,
      fix: icd ? undefined : 'write /usr/share/vulkan/icd.d/nvidia_icd.json: {"file_format_version":"1.0.1","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}' },
    { name: 'libEGL.so (optional: Dawn\'s OpenGL ES fallback)', ok: true, detail: has('libEGL.so') ? 'found' : 'missing; only needed when Vulkan shows no adapter (apt-get install -y libegl-dev)' },
    { name: 'container graphics capability', ok: !caps || /graphics|all/.test(caps), detail: caps ? `NVIDIA_DRIVER_CAPABILITIES=${caps}` : 'not a container setting here', fix: !caps || /graphics|all/.test(caps) ? undefined : 'start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics' },
  ];
}

function icdLibrary(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path ?? null;
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return null;
  }
}
