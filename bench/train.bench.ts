/**
 * Training throughput, samples/s, on the active backend for the four network families at
 * T = 60, F = 31, batch 256, through the training loop's own step (data parallelism over
 * worker threads, the fused ops, Adam with clipping) — and, in the same run when Debian's
 * python3-torch is importable, the same four models in PyTorch on the CPU with all cores,
 * with the ratio. Each model is also timed on one process with the fused ops off
 * (GATEBOOK_FUSED=0: the plain-op references).
 *
 * Run: npm run bench:train [-- --workers 1,2,4]   (default: every core; several counts show the scaling)
 *      BENCH_STEPS=… to measure longer; BENCH_ONLY=lstm for the models whose name has it
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { selectBackend, tf } from '../lib/backend';
import { createModel, type NeuralModel } from '../lib/models';
import { clipByGlobalNorm, DataParallel, shardsOf } from '../lib/train';
import { shardGradients } from '../lib/train/classification';
import type { WindowSource } from '../lib/tensors/windows';
import { Random } from '../lib/util/random';

const T = 60, F = 31, BATCH = 256;
const STEPS = Number(process.env.BENCH_STEPS ?? 3);

const MODELS: Array<[string, string, Record<string, unknown>]> = [
  ['lstm 2x64', 'lstm', { layers: 2, units: 64, dropout: 0.2 }],
  ['bilstm 64', 'lstm', { layers: 1, units: 64, bidirectional: true, dropout: 0.2 }],
  ['tcn 32x[1,2,4,8]', 'tcn', {}],
  ['transformer 2x4x64', 'transformer', {}],
];

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

/** Samples/s of the training loop's step (gradients over `processes`, clipped, Adam) on `family`. */
async function samplesPerSecond(family: string, params: Record<string, unknown>, processes: number): Promise<number> {
  const model = createModel(family, params) as NeuralModel<Record<string, unknown>>;
  const net = model.buildNet(F, T, 1);
  const vars = [...net.variables.values()];
  const { source, rows } = randomSource();
  const parallel = await DataParallel.start(
    { processes, script: join(__dirname, '../lib/models/trainingWorker.ts'), net: { family, params: model.params, features: F, window: T, seed: 1 }, backend: tf.getBackend() },
    vars, net.variables, source, T, [1, 1],
  );
  const opt: tf.Optimizer = tf.train.adam(1e-3);
  const step = async (b: number) => {
    const batch = rows.subarray((b % 4) * BATCH, (b % 4 + 1) * BATCH);
    const { grads } = await parallel.gradients(batch, BATCH, net.randomState?.get() ?? 0, (mine, shard) => shardGradients(net, vars, source, T, mine, shard, [1, 1], BATCH));
    tf.tidy(() => opt.applyGradients(clipByGlobalNorm(Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(grads[i], v.shape)])), 1).grads));
  };
  await step(0); // warm-up: kernels, optimizer slots, the replicas' first step
  const started = performance.now();
  for (let i = 1; i <= STEPS; i++) await step(i);
  const rate = (STEPS * BATCH) / ((performance.now() - started) / 1000);
  await parallel.release();
  tf.dispose(vars);
  opt.dispose();
  return rate;
}

function torchFigures(): { rates: Record<string, number>; threads: number } | string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-torch not importable (apt-get install python3-torch libopenblas0-pthread to compare; without OpenBLAS the Debian torch uses a generic BLAS ~10× slower)';
  const r = spawnSync('/usr/bin/python3', [join(__dirname, 'torch_bench.py'), String(STEPS)], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(availableParallelism()) },
  });
  if (r.status !== 0) return `torch bench failed: ${r.stderr.trim().split('\n').pop()}`;
  const { _threads, ...rates } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { rates, threads: _threads };
}

(async () => {
  const backend = await selectBackend();
  const counts = workerCounts();
  const only = process.env.BENCH_ONLY;
  const models = MODELS.filter(([name]) => !only || name.includes(only));
  const ours: Array<{ name: string; rates: number[]; plain: number }> = [];
  for (const [name, family, params] of models) {
    process.env.GATEBOOK_FUSED = '0';
    const plain = await samplesPerSecond(family, params, 1);
    delete process.env.GATEBOOK_FUSED;
    const rates: number[] = [];
    for (const n of counts) rates.push(await samplesPerSecond(family, params, n));
    ours.push({ name, rates, plain });
  }
  const torch = torchFigures();
  const cores = availableParallelism();
  console.log(`gatebook train bench: T=${T} F=${F} batch ${BATCH} (shards of ≥ ${shardsOf(BATCH, counts.at(-1)!).at(-1)!.size} rows), ${STEPS} timed steps, backend ${backend.name}, ${cores} cores, node ${process.version}`);
  console.log(`  pytorch: ${typeof torch === 'object' ? `${torch.threads} threads (torch.get_num_threads; OMP_NUM_THREADS=${cores}, OPENBLAS_NUM_THREADS=1)` : torch}`);
  const head = counts.map((n) => `${n} worker${n > 1 ? 's' : ''}`.padStart(11));
  console.log(`  ${'model'.padEnd(20)} ${head.join(' ')} ${'plain ops,1'.padStart(12)} ${'pytorch cpu'.padStart(12)} ${'ratio'.padStart(7)}`);
  for (const { name, rates, plain } of ours) {
    const ref = typeof torch === 'object' ? torch.rates[name] : undefined;
    const best = rates.at(-1)!;
    console.log(`  ${name.padEnd(20)} ${rates.map((r) => r.toFixed(0).padStart(11)).join(' ')} ${plain.toFixed(0).padStart(12)} ${(ref ? ref.toFixed(0) : '-').padStart(12)} ${(ref ? (best / ref).toFixed(2) : '-').padStart(7)}`);
  }
  console.log(`  samples/s = training samples per second (forward + backward + clipped Adam step); ratio = gatebook at ${counts.at(-1)} workers / pytorch; plain ops,1 = one process with GATEBOOK_FUSED=0`);
  process.exit(0);
})();
