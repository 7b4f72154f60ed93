/**
 * One model's training step, for finding where its time goes (what `npm run bench:train` times
 * over worker threads or on the GPU): milliseconds per step (gradients and Adam, 128 rows by
 * default, T = 60, F = 31, the bench's models).
 *
 * - `--backend wasm` (default): one thread of the wasm backend; with --kernels, the engine's
 *   kernels by time for one step (gatebook's fused kernels show as one entry each).
 * - `--backend webgpu`: the training loop's step on webgpu (the loss kept on the device and read
 *   every GATEBOOK_READ_EVERY steps, as the loop does), split into the main thread's recording
 *   of the steps (JavaScript, tfjs, Dawn's calls) and the wait for the GPU at each read, with
 *   the dispatches per step. A software adapter (lavapipe) is used and named.
 * - `--profile`: the main thread's functions by self time per step over the timed steps (an
 *   in-process CPU profile; startup and warm-up left out) — on a GPU box, what bounds the step.
 *   BENCH_PROFILE_TOP=N lists N functions (25 by default).
 * - `--kernels` on webgpu: the GPU's time by kernel over three more steps, each dispatch timed
 *   alone (its own pass between two timestamps, then a wait: as tfjs's tf.profile times them),
 *   tfjs's programs named by class and output shape, gatebook's by their key — what the GPU
 *   spends a step on, apart from the gaps between dispatches. Needs the adapter's
 *   timestamp-query feature.
 *
 * Run: npm run bench:step -- lstm|bilstm|tcn|transformer [--backend wasm|webgpu] [--rows 128]
 *        [--steps 15] [--kernels] [--profile]
 *   (the first of the bench's models whose name starts with the word: `bench/models.ts`)
 */
import { Session } from 'node:inspector/promises';
import { basename } from 'node:path';
import { adapterLine, selectBackend, tf, webgpuAdapter, webgpuDispatches } from '../lib/backend';
import { engineKernels } from '../lib/backend/kernelCount';
import { createModel, type NeuralModel } from '../lib/models';
import { adam } from '../lib/ops/adam';
import { deferredStep, readEvery } from '../lib/train';
import { weightedBce } from '../lib/train/loss';
import { F, MODELS, T } from './models';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} takes a whole number ≥ 1 (got ${process.argv[at + 1] ?? 'nothing'})`);
    process.exit(2);
  }
  return value;
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }

/** The main thread's functions by self time (ms per step), the `top` largest, idle left out. */
function selfTimes(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, steps: number, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id] as const)));
  const profiling = (id: number | undefined): boolean => id !== undefined && (byId.get(id)!.url === 'node:inspector' || profiling(parent.get(id)));
  const self = new Map<string, number>();
  let busy = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)' || profiling(id)) return; // idle, or the profiler's own stop
    const where = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'} ${basename(f.url)}:${f.lineNumber + 1}`;
    const caller = parent.has(id) ? byId.get(parent.get(id)!)! : null;
    // a native function (Dawn's calls, V8's builtins) is named by the JavaScript that called it
    const key = frame.url ? where(frame) : frame.functionName.startsWith('(') || !caller?.url ? frame.functionName || '(native)' : `native call in ${where(caller)}`;
    const us = profile.timeDeltas?.[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + us);
    busy += us;
  });
  return [
    `  main thread busy ${(busy / 1000 / steps).toFixed(2)} ms a step; by function (self time, ms a step):`,
    ...[...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => `  ${(us / 1000 / steps).toFixed(2).padStart(8)}  ${key}`),
  ];
}

interface TimedBackend {
  supportTimestampQuery?: boolean;
  activeTimers: Array<{ name: string; query: Promise<number> }> | null;
  recordAndSubmit(program: { constructor: { name: string }; shaderKey?: string; outputShape?: number[]; workgroupSize?: number[] }, ...rest: unknown[]): unknown;
}

/** The GPU's ms a step by kernel over `steps` runs of `step` on webgpu, each dispatch timed alone. */
async function gpuKernelTimes(step: () => tf.Tensor, steps: number): Promise<string[]> {
  const be = tf.backend() as unknown as TimedBackend;
  if (!be.supportTimestampQuery) return ['  --kernels: this adapter has no timestamp-query feature; no kernel times'];
  const timers: Array<{ name: string; query: Promise<number> }> = [];
  const record = be.recordAndSubmit;
  be.recordAndSubmit = function named(this: TimedBackend, program, ...rest) {
    const before = timers.length;
    const result = record.call(this, program, ...rest);
    // tfjs names a timer by the program's class; gatebook's programs are plain objects with a key
    // (tfjs has appended '_<workgroup size>' and the inputs' ranks and types to the key by now)
    const key = program.shaderKey ?? '';
    if (timers.length > before) timers[timers.length - 1].name = key.startsWith('gatebook_') ? key.slice(0, key.lastIndexOf(`_${program.workgroupSize}`)) : `${program.constructor.name} [${program.outputShape}]`;
    return result;
  };
  for (let i = 0; i < steps; i++) {
    be.activeTimers = timers;
    const out = step();
    be.activeTimers = null;
    await out.data();
    out.dispose();
  }
  be.recordAndSubmit = record;
  const ms = await Promise.all(timers.map((t) => t.query));
  const byName = new Map<string, { ms: number; calls: number }>();
  timers.forEach((t, i) => {
    const entry = byName.get(t.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms[i];
    entry.calls++;
    byName.set(t.name, entry);
  });
  const total = ms.reduce((a, b) => a + b, 0);
  return [
    `  GPU time by kernel (each dispatch timed alone, ${steps} steps): ${(total / steps).toFixed(2)} ms a step in ${timers.length / steps} dispatches; ms a step, share, dispatches a step:`,
    ...[...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)
      .map(([name, e]) => `  ${(e.ms / steps).toFixed(3).padStart(9)} ${((100 * e.ms) / total).toFixed(1).padStart(5)} % ${String(e.calls / steps).padStart(4)}  ${name}`),
  ];
}

(async () => {
  const word = process.argv[2];
  const model = word ? MODELS.find(([name]) => name.startsWith(`${word} `)) : undefined;
  const at = process.argv.indexOf('--backend');
  const backend = at < 0 ? 'wasm' : process.argv[at + 1];
  if (!model || (backend !== 'wasm' && backend !== 'webgpu')) {
    console.error(`usage: npm run bench:step -- ${[...new Set(MODELS.map(([name]) => name.split(' ')[0]))].join('|')} [--backend wasm|webgpu] [--rows 128] [--steps 15] [--kernels] [--profile]`);
    process.exit(2);
  }
  const [name, family, params] = model;
  const rows = option('--rows', 128), steps = option('--steps', backend === 'webgpu' ? 30 : 15);
  await selectBackend(backend);
  const net = (createModel(family, params) as NeuralModel<Record<string, unknown>>).buildNet(F, T, 1);
  const vars = [...net.variables.values()];
  const x = tf.randomNormal([rows, T, F], 0, 1, 'float32', 1) as tf.Tensor3D;
  const y = tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 2));
  const loss = () => weightedBce(net.forward(x, true), y);

  const every = backend === 'webgpu' ? readEvery() : 1;
  let recording = 0, waiting = 0;
  let step: () => Promise<void>;
  const gpuStep = adam(1e-3);
  const recordStep = () => deferredStep(vars, gpuStep, { size: rows, loss }, 1);
  if (backend === 'webgpu') {
    // the loop's step: clipped Adam with the loss and norm left on the device, read every k steps
    const pending: tf.Tensor[] = [];
    step = async () => {
      const started = performance.now();
      pending.push(recordStep());
      recording += performance.now() - started;
      if (pending.length >= every) {
        const all = tf.concat(pending.splice(0));
        const reading = performance.now();
        await all.data();
        waiting += performance.now() - reading;
        tf.dispose(all);
      }
    };
  } else {
    const opt: tf.Optimizer = tf.train.adam(1e-3);
    step = async () => void tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, vars);
      opt.applyGradients(grads);
      return value.dataSync()[0];
    });
  }
  const timed = Math.ceil(steps / every) * every; // whole read cycles
  for (let i = 0; i < Math.max(3, every); i++) await step(); // warm-up: the JIT, wasm modules, pipelines
  const session = process.argv.includes('--profile') ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  }
  recording = 0;
  waiting = 0;
  const dispatched = webgpuDispatches();
  const ran = engineKernels();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
  }
  const ops = (engineKernels() - ran) / timed;
  const profile = session ? (await session.post('Profiler.stop')).profile : null;
  const total = times.reduce((a, b) => a + b, 0);
  if (backend === 'webgpu') {
    const adapter = webgpuAdapter();
    console.log(`${name}, ${rows} rows, webgpu on ${adapter ? adapterLine(adapter) : '?'}: ${(total / timed).toFixed(2)} ms a step (${timed} steps, the loss read every ${every}): ` +
      `recording ${(recording / timed).toFixed(2)} ms, waiting for the GPU ${(waiting / timed).toFixed(2)} ms; ${((webgpuDispatches() - dispatched) / timed).toFixed(0)} dispatches and ${ops.toFixed(0)} tfjs ops a step, ` +
      `${((1000 * recording) / (webgpuDispatches() - dispatched)).toFixed(0)} µs of recording a dispatch; ${Math.round((rows * timed) / (total / 1000))} samples/s`);
  } else {
    times.sort((a, b) => a - b);
    console.log(`${name}, ${rows} rows, one thread (wasm): median ${times[timed >> 1].toFixed(1)} ms a step, fastest ${times[0].toFixed(1)} ms (${timed} steps); ${ops.toFixed(0)} tfjs ops a step`);
  }
  if (profile) for (const line of selfTimes(profile, timed, Number(process.env.BENCH_PROFILE_TOP ?? 25))) console.log(line);
  if (process.argv.includes('--kernels') && backend === 'webgpu') {
    for (const line of await gpuKernelTimes(recordStep, 3)) console.log(line);
  } else if (process.argv.includes('--kernels')) {
    const kernels = await tf.profile(() => void step());
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of kernels.kernels) {
      const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += Number(k.kernelTimeMs);
      entry.calls++;
      byName.set(k.name, entry);
    }
    for (const [kernel, { ms, calls }] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
      console.log(`  ${kernel.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms ${String(calls).padStart(6)} calls`);
    }
  }
  process.exit(0);
})();
