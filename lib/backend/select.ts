import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { inspect } from 'node:util';
import { tf } from './tf';
import { InputError } from '../util/errors';
import { applyTfjsFlags } from './tfjsFlags';
import { speedUpWasm } from './wasmKernels';
import { prepareWasmModules } from './wasmModules';
import { adapterLine, findAdapter, hardwareIcdPresent, registerWebGpu, registeredWebGpuFits, webgpuAdapter, type WebGpuAdapterInfo } from './webgpu';

/** Backends in order of preference. */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendChoice {
  name: BackendName;
  /** tf.getBackend() after selection: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  tfBackend: string;
  /** The WebGPU adapter, when the backend is webgpu. */
  adapter?: WebGpuAdapterInfo;
  /** Why the better backends were passed over. */
  skipped: Array<{ name: BackendName; reason: string }>;
  forced: boolean;
}

let current: BackendChoice | null = null;

/**
 * Pick the best backend that loads: tfjs-node-gpu (installed and a GPU seen), webgpu (a
 * hardware adapter through Dawn: Vulkan, else OpenGL ES), tfjs-node, wasm, cpu. `GATEBOOK_BACKEND` (or `forced`) names one; a forced backend that cannot load
 * is an error, never a silent fallback — tfjs itself falls back to cpu without a word, so
 * the active backend is read back and compared.
 */
export async function selectBackend(forced = process.env.GATEBOOK_BACKEND): Promise<BackendChoice> {
  if (current && (!forced || current.name === forced)) return current;
  if (forced && !(BACKENDS as readonly string[]).includes(forced)) {
    throw new InputError(`invalid backend: ${forced} (expected one of ${BACKENDS.join(', ')}; set by GATEBOOK_BACKEND or the config's backend key)`);
  }
  const candidates = forced ? [forced as BackendName] : [...BACKENDS];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const problem = await tryBackend(name, Boolean(forced));
    if (problem === null) {
      applyTfjsFlags();
      const adapter = name === 'webgpu' ? webgpuAdapter() ?? undefined : undefined;
      current = shownInOneLine({ name, tfBackend: tf.getBackend(), ...(adapter ? { adapter } : {}), skipped, forced: Boolean(forced) });
      return current;
    }
    if (forced) throw new InputError(`backend ${forced} was asked for but cannot be used: ${problem}`);
    skipped.push({ name, reason: problem });
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** What was chosen and why the better ones were not, in one line. */
export function describeBackend(b: BackendChoice): string {
  const device = b.name === 'tensorflow-gpu' ? 'GPU' : b.adapter ? adapterLine(b.adapter) : `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}`;
  const passed = b.skipped.length ? ` (passed over: ${b.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '';
  return `backend ${b.name}${b.forced ? ' (forced)' : ''} on ${device}${passed}`;
}

/** A notebook's setup cell shows the choice as that one line, not the object (non-enumerable: JSON and records stay plain). */
function shownInOneLine(b: BackendChoice): BackendChoice {
  const line = () => describeBackend(b);
  Object.defineProperty(b, 'toMimeBundle', { enumerable: false, value: () => ({ 'text/plain': line() }) });
  Object.defineProperty(b, inspect.custom, { enumerable: false, value: line });
  return b;
}

/** null when the backend is now active, else why not. */
async function tryBackend(name: BackendName, forced: boolean): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      if (!forced && !gpuVisible() && !hardwareIcdPresent()) return 'no GPU visible (nvidia-smi) and no Vulkan driver file';
      if (registeredWebGpuFits(forced)) return (await activate('webgpu')) ? null : 'the webgpu backend did not initialize';
      const search = await findAdapter(forced);
      if (!search.chosen) return `${search.problem} (\`gatebook env\` lists what a GPU box needs)`;
      await registerWebGpu(search.chosen);
      return (await activate('webgpu')) ? null : 'the webgpu backend did not initialize';
    }
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      if (name === 'tensorflow-gpu' && !gpuVisible()) return 'no NVIDIA GPU visible (nvidia-smi)';
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      return (await activate('tensorflow')) ? null : 'the tensorflow backend did not initialize';
    }
    if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
    if (!(await activate(name))) return `tf.setBackend('${name}') failed`;
    if (name === 'wasm' && process.env.GATEBOOK_WASM_STOCK !== '1') speedUpWasm();
    if (name === 'wasm') await prepareWasmModules();
    return null;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    return /Cannot find module/.test(message) ? `package not installed (${message.replace(/^Cannot find module '([^']+)'.*/, '$1')})` : message;
  }
}

async function activate(backend: string): Promise<boolean> {
  const ok = await tf.setBackend(backend);
  await tf.ready();
  return ok && tf.getBackend() === backend;
}

let visible: boolean | null = null;

/** Whether `nvidia-smi -L` lists a GPU: asked once per process (each backend tried asked it again before). */
function gpuVisible(): boolean {
  if (visible !== null) return visible;
  try {
    visible = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).includes('GPU');
  } catch {
    visible = false;
  }
  return visible;
}

/** Whether training on this backend runs on a GPU (tfjs-node-gpu, or webgpu on a hardware adapter). */
export function trainsOnGpu(b: BackendChoice | null): boolean {
  return b?.name === 'tensorflow-gpu' || (b?.name === 'webgpu' && b.adapter?.software === false);
}

/** The backend chosen so far in this process (null before selectBackend). */
export function currentBackend(): BackendChoice | null {
  return current;
}
