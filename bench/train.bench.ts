/**
 * Training throughput, samples/s, for the four network families at T = 60, F = 31, batch 256,
 * through the training loop's own step (gradients — over worker threads with data parallelism
 * on wasm —, global-norm clipping, Adam, the loss read back every step):
 *   - wasm with 1, 2, … workers (`--workers`), and one process with the fused ops off
 *     (GATEBOOK_FUSED=0: the plain-op references);
 *   - webgpu, when Dawn finds an adapter (a software one — lavapipe — is used and marked), with
 *     the dispatches per training step (a count that does not depend on the adapter's speed);
 *   - PyTorch on the CPU with every core, and on CUDA where torch sees a GPU, in the same run.
 *
 * Run: npm run bench:train [-- --workers 1,2,4]   (default: every core; several counts show the scaling)
 *      BENCH_STEPS=… to measure longer (3 by default; on a GPU, PyTorch CUDA and the webgpu column time at least 20, after one read cycle of warm-up); BENCH_ONLY=lstm for the models whose name has it;
 *      BENCH_ROUNDS=n to measure the CPU side n times, gatebook and PyTorch alternating, and print the
 *      medians (the ratio: the median of the rounds' ratios, each round's listed) — this kind of VM's
 *      speed drifts by ±20 % between runs, which one round cannot tell from a difference;
 *      BENCH_PYTHON=… a python3 with torch (default: /usr/bin/python3, then python3);
 *      BENCH_WEBGPU=0 to leave the webgpu column out; BENCH_CPU=0 to measure only webgpu (and PyTorch CUDA);
 *      GATEBOOK_DAWN_BACKEND=opengles (or vulkan) to try only that Dawn backend; GATEBOOK_READ_EVERY=1
 *      to read the loss after every webgpu step as the loop did before (default 10).
 * On a machine without Node (a rented GPU box): bench/device/ carries a bundled copy there.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { adapterLine, findAdapter, sampleGpu, selectBackend, tf, webgpuDispatches, type GpuUtilization } from '../lib/backend';
import { createModel, type NeuralModel } from '../lib/models';
import { tcnSteps, TcnParams } from '../lib/models/tcn';
import { F, MODELS, T } from './models';
import { adam } from '../lib/ops/adam';
import { DataParallel, deferredStep, readEvery, shardsOf, trainingStep } from '../lib/train';
import { shardGradients, shardLoss } from '../lib/train/classification';
import type { WindowSource } from '../lib/tensors/windows';
import { Random } from '../lib/util/random';

const BATCH = 256;
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
/** timed steps at least on a GPU: PyTorch CUDA's, and the webgpu column's on a hardware adapter */
const GPU_STEPS = 20;

function workerCounts(): number[] {
  const at = process.argv.indexOf('--workers');
  if (at < 0) return [availableParallelism()];
  const counts = (process.argv[at + 1] ?? '').split(',').map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`--workers takes a list of worker counts, e.g. --workers 1,2,4 (got ${process.argv[at + 1] ?? 'nothing'})`);
    process.exit(2);
  }
  return counts;
}

/** Random windows: BATCH × 4 rows of F features and labels (the loop only sees rows). */
function randomSource(): { source: WindowSource; rows: Int32Array } {
  const rng = new Random(1);
  const rowsCount = BATCH * 4 + T;
  const matrix = Float32Array.from({ length: rowsCount * F }, () => rng.normal());
  const labels = Float32Array.from({ length: rowsCount }, () => (rng.uniform() < 0.5 ? 1 : 0));
  return { source: { matrix, features: F, labels, rows: rowsCount }, rows: Int32Array.from({ length: BATCH * 4 }, (_, i) => T - 1 + i) };
}

/**
 * Samples/s of the training loop's step on `family` on the active backend; `processes` > 1
 * computes each batch's gradients over worker threads (wasm). With the dispatches per step.
 */
async function measure(family: string, params: Record<string, unknown>, processes: number, timing = { warmup: 1, steps: STEPS }): Promise<{ rate: number; dispatches: number }> {
  const model = createModel(family, params) as NeuralModel<Record<string, unknown>>;
  const net = model.buildNet(F, T, 1);
  const vars = [...net.variables.values()];
  const { source, rows } = randomSource();
  const parallel = processes > 1 ? await DataParallel.start(
    { processes, script: process.env.BENCH_WORKER_SCRIPT ?? join(__dirname, '../lib/models/trainingWorker.ts'), net: { family, params: model.params, features: F, window: T, seed: 1 }, backend: tf.getBackend() },
    vars, net.variables, source, T, [1, 1],
  ) : null;
  const opt = adam(1e-3); // the loop's Adam (fused on webgpu)
  const whole = { offset: 0, total: BATCH };
  const pending: tf.Tensor[] = [];
  // as the loop steps: on webgpu the loss and norm stay on the device and are read every readEvery() steps
  const step = async (b: number, last: boolean) => {
    const batch = rows.subarray((b % 4) * BATCH, (b % 4 + 1) * BATCH);
    const objective = {
      size: BATCH,
      loss: () => shardLoss(net, source, T, batch, whole, [1, 1], BATCH),
      gradients: parallel ? () => parallel.gradients(batch, BATCH, net.randomState?.get() ?? 0, (mine, shard) => shardGradients(net, vars, source, T, mine, shard, [1, 1], BATCH)) : undefined,
    };
    if (tf.getBackend() !== 'webgpu') return void (await trainingStep(vars, opt, objective, 1));
    pending.push(deferredStep(vars, opt, objective, 1));
    if (pending.length >= readEvery() || last) {
      const parts = pending.splice(0);
      const all = tf.concat(parts);
      await all.data();
      tf.dispose([all, ...parts]);
    }
  };
  // warm-up: kernels, pipelines, optimizer slots, the replicas' first step (and on a GPU the JIT's hot paths)
  for (let i = 0; i < timing.warmup; i++) await step(i, i === timing.warmup - 1);
  const dispatched = webgpuDispatches();
  const started = performance.now();
  for (let i = 1; i <= timing.steps; i++) await step(timing.warmup + i, i === timing.steps);
  const rate = (timing.steps * BATCH) / ((performance.now() - started) / 1000);
  const dispatches = (webgpuDispatches() - dispatched) / timing.steps;
  await parallel?.release();
  tf.dispose(vars);
  opt.dispose();
  return { rate, dispatches };
}

function python(): string | null {
  for (const p of [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => Boolean(x))) {
    if (spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return p;
  }
  return null;
}

/** PyTorch's figures on `device` (cpu: every core), or why there are none. */
function torchFigures(device: 'cpu' | 'cuda'): { rates: Record<string, number>; threads: number; device: string } | string {
  const py = python();
  if (!py) return 'python3-torch not importable (apt-get install python3-torch libopenblas0-pthread to compare; without OpenBLAS the Debian torch uses a generic BLAS ~10× slower)';
  if (device === 'cuda' && spawnSync(py, ['-c', 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)']).status !== 0) return 'torch sees no CUDA device';
  const r = spawnSync(py, [join(__dirname, 'torch_bench.py'), String(device === 'cuda' ? Math.max(STEPS, GPU_STEPS) : STEPS), device], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(availableParallelism()) },
  });
  if (r.status !== 0) return `torch bench failed: ${r.stderr.trim().split('\n').pop()}`;
  const { _threads, _device, ...rates } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { rates, threads: _threads, device: _device };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

function median(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The share of an every-step TCN's convolution multiply-adds that gatebook's TCN does: its
 * classifier reads the last step, so each layer computes only the steps that step reads.
 */
function tcnShare(params: Record<string, unknown>): number {
  const p = TcnParams.parse(params);
  const k = p.kernelSize, c = p.channels;
  const plan = tcnSteps(T, k, p.dilations);
  const macs = (steps: (b: (typeof plan)[number]) => [number, number]) => plan.reduce((sum, b, i) => {
    const into = i === 0 ? F : c;
    const [inner, output] = steps(b);
    return sum + (inner * k * into + output * k * c + (into !== c ? output * into : 0)) * c;
  }, 0);
  return macs((b) => [b.inner.steps, b.output.steps]) / macs(() => [T, T]);
}

/**
 * The CPU, for telling runs on different hosts apart: the same bench moves by a third between
 * two x86 hosts of this kind (PyTorch's kernels use AVX2 / AVX-512 with FMA; wasm SIMD is
 * 128-bit without FMA).
 */
function cpuLine(): string {
  let flags = '';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
    const has = new Set(line.split(/\s+/));
    flags = ['avx512f', 'avx2', 'fma'].filter((f) => has.has(f)).join(', ');
  } catch {
    // not Linux: the model name only
  }
  return `${cpus()[0]?.model.trim() ?? 'unknown'}${flags ? ` (${flags})` : ''}`;
}

const cell = (x: number | undefined, width: number) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(0)).padStart(width);

(async () => {
  const backend = await selectBackend('wasm'); // the CPU columns; the webgpu column is measured after them
  const counts = workerCounts();
  const only = process.env.BENCH_ONLY;
  const models = MODELS.filter(([name]) => !only || name.includes(only));
  const cpu = process.env.BENCH_CPU !== '0';
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
    console.error(`BENCH_ROUNDS takes a whole number of rounds ≥ 1 (got ${process.env.BENCH_ROUNDS})`);
    process.exit(2);
  }
  const ours: Array<{ name: string; rates: number[]; plain: number; ratios: number[]; webgpu?: { rate: number; dispatches: number }; gpu?: GpuUtilization | null }> = models.map(([name]) => ({ name, rates: counts.map(() => NaN), plain: NaN, ratios: [] }));
  // per model and round: samples/s at each worker count; PyTorch's figures per round
  const byRound = models.map(() => counts.map(() => [] as number[]));
  const torchRounds: Array<Record<string, number>> = [];
  let torch: ReturnType<typeof torchFigures> = 'left out (BENCH_CPU=0)';
  for (let round = 0; cpu && round < ROUNDS; round++) {
    for (const [i, [name, family, params]] of models.entries()) {
      if (round === 0) {
        process.env.GATEBOOK_FUSED = '0';
        ours[i].plain = (await measure(family, params, 1)).rate;
        delete process.env.GATEBOOK_FUSED;
      }
      const rates: number[] = [];
      for (const [k, n] of counts.entries()) {
        rates.push((await measure(family, params, n)).rate);
        byRound[i][k].push(rates[k]);
      }
      console.error(`  measured ${name} on wasm${ROUNDS > 1 ? ` (round ${round + 1})` : ''}: ${counts.map((n, k) => `${n} workers ${rates[k].toFixed(0)}`).join(', ')}${round === 0 ? `, plain ops ${ours[i].plain.toFixed(0)}` : ''} samples/s`);
    }
    torch = torchFigures('cpu');
    if (typeof torch === 'object') {
      torchRounds.push(torch.rates);
      for (const [i, [name]] of models.entries()) ours[i].ratios.push(byRound[i][counts.length - 1][round] / torch.rates[name]);
    }
  }
  for (const [i] of models.entries()) ours[i].rates = byRound[i].map(median);
  const torchRates: Record<string, number> = Object.fromEntries(models.map(([name]) => [name, median(torchRounds.map((r) => r[name]))]));
  const search = process.env.BENCH_WEBGPU === '0' ? null : await findAdapter(true);
  const adapter = search?.chosen?.info;
  // on a GPU a step takes milliseconds: as many timed steps as PyTorch CUDA's (max(STEPS, 20)), in whole
  // read cycles, after one read cycle of warm-up; a software adapter (seconds a step) keeps STEPS after one
  const gpuTiming = adapter?.software === false
    ? { warmup: readEvery(), steps: Math.ceil(Math.max(STEPS, GPU_STEPS) / readEvery()) * readEvery() }
    : { warmup: 1, steps: STEPS };
  if (adapter) {
    await selectBackend('webgpu');
    for (const [i, [name, family, params]] of models.entries()) {
      const sampler = adapter.software ? null : sampleGpu(100); // what the GPU did meanwhile (nvidia-smi)
      ours[i].webgpu = await measure(family, params, 1, gpuTiming);
      ours[i].gpu = await sampler?.stop();
      console.error(`  measured ${name} on webgpu: ${ours[i].webgpu!.rate.toFixed(0)} samples/s, ${Math.round(ours[i].webgpu!.dispatches)} dispatches per step`);
    }
  }
  const torchGpu = adapter && !adapter.software ? torchFigures('cuda') : 'no GPU adapter';
  const cores = availableParallelism();
  console.log(`gatebook train bench: T=${T} F=${F} batch ${BATCH} (shards of ≥ ${shardsOf(BATCH, counts.at(-1)!).at(-1)!.size} rows), ${STEPS} timed steps${ROUNDS > 1 ? ` × ${ROUNDS} rounds (medians)` : ''}, backend ${backend.name}, ${cores} cores, node ${process.version}`);
  console.log(`  cpu: ${cpuLine()}`);
  console.log(`  pytorch cpu: ${typeof torch === 'object' ? `${torch.threads} threads (torch.get_num_threads; OMP_NUM_THREADS=${cores}, OPENBLAS_NUM_THREADS=1)` : torch}`);
  console.log(`  webgpu: ${adapter ? `${adapterLine(adapter)}; ${gpuTiming.steps} timed steps after ${gpuTiming.warmup} (the loss read every ${readEvery()})` : search ? search.problem : 'left out (BENCH_WEBGPU=0)'}`);
  if (adapter && !adapter.software) console.log(`  pytorch cuda: ${typeof torchGpu === 'object' ? torchGpu.device : torchGpu}`);
  const head = counts.map((n) => `${n} worker${n > 1 ? 's' : ''}`.padStart(11));
  const gpuHead = adapter ? ` ${(adapter.software ? 'webgpu(sw)' : 'webgpu').padStart(11)}${adapter.software ? '' : ` ${'torch cuda'.padStart(11)} ${'gpu ratio'.padStart(9)}`}` : '';
  const nameWidth = Math.max(20, ...ours.map((o) => o.name.length));
  console.log(`  ${'model'.padEnd(nameWidth)} ${head.join(' ')} ${'plain ops,1'.padStart(12)} ${'pytorch cpu'.padStart(12)} ${'ratio'.padStart(7)}${gpuHead}`);
  for (const { name, rates, plain, ratios, webgpu } of ours) {
    const ref = torchRounds.length ? torchRates[name] : undefined;
    const ratio = median(ratios);
    const gpuRef = typeof torchGpu === 'object' ? torchGpu.rates[name] : undefined;
    const gpuCells = adapter ? ` ${cell(webgpu?.rate, 11)}${adapter.software ? '' : ` ${cell(gpuRef, 11)} ${(gpuRef && webgpu ? (webgpu.rate / gpuRef).toFixed(3) : '-').padStart(9)}`}` : '';
    console.log(`  ${name.padEnd(nameWidth)} ${rates.map((r) => cell(r, 11)).join(' ')} ${cell(plain, 12)} ${cell(ref, 12)} ${(Number.isFinite(ratio) ? ratio.toFixed(2) : '-').padStart(7)}${gpuCells}`);
  }
  console.log(`  samples/s = training samples per second (forward + backward + clipped Adam step); ratio = gatebook at ${counts.at(-1)} workers / pytorch cpu${ROUNDS > 1 ? ' (the median of the rounds\' ratios)' : ''}; plain ops,1 = one process with GATEBOOK_FUSED=0`);
  const tcn = models.find(([, family]) => family === 'tcn');
  if (tcn) console.log(`  tcn: the head reads the last step, so gatebook computes each layer only at the steps that step reads: ${(100 * tcnShare(tcn[2])).toFixed(0)} % of the multiply-adds of every step (models/tcn.ts; the same output and gradients); the PyTorch model computes every step, as nn.Conv1d does`);
  if (ROUNDS > 1 && torchRounds.length) console.log(`  ratio by round: ${ours.map((o) => `${o.name} ${o.ratios.map((r) => r.toFixed(2)).join(' ')}`).join('; ')}`);
  if (adapter) {
    for (const { name, webgpu } of ours) console.log(`dispatches per step (webgpu): ${name} ${Math.round(webgpu!.dispatches)}`);
    for (const { name, gpu } of ours.filter((o) => o.gpu)) console.log(`gpu utilization (webgpu, nvidia-smi): ${name} mean ${gpu!.meanPercent} %, max ${gpu!.maxPercent} %, ${gpu!.memoryUsedGb} GB, ${gpu!.samples} samples`);
  }
  process.exit(0);
})();
