/**
 * Training throughput, samples/s, on the active backend for the four network families at
 * T = 60, F = 31, batch 256 — and, in the same run when Debian's python3-torch is
 * importable, the same four models in PyTorch on the CPU, with the ratio. Each model is also
 * timed with the fused ops off (GATEBOOK_FUSED=0: the plain-op references) in the same run.
 * Run: npm run bench:train   (BENCH_STEPS=… to measure longer; BENCH_ONLY=lstm for the models whose name has it)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { selectBackend, tf } from '../lib/backend';
import { buildLstm } from '../lib/models/lstm';
import { buildTcn } from '../lib/models/tcn';
import { buildTransformer } from '../lib/models/transformer';
import type { Net } from '../lib/train/net';
import { weightedBce } from '../lib/train/loss';
import { LstmParams } from '../lib/models/lstm';
import { TcnParams } from '../lib/models/tcn';
import { TransformerParams } from '../lib/models/transformer';

const T = 60, F = 31, BATCH = 256;
const STEPS = Number(process.env.BENCH_STEPS ?? 3);

const MODELS: Array<[string, () => Net]> = [
  ['lstm 2x64', () => buildLstm(LstmParams.parse({ layers: 2, units: 64 }), F, T, 1)],
  ['bilstm 64', () => buildLstm(LstmParams.parse({ layers: 1, units: 64, bidirectional: true }), F, T, 1)],
  ['tcn 32x[1,2,4,8]', () => buildTcn(TcnParams.parse({}), F, T, 1)],
  ['transformer 2x4x64', () => buildTransformer(TransformerParams.parse({}), F, T, 1)],
];

function samplesPerSecond(net: Net): number {
  const vars = [...net.variables.values()];
  const opt: tf.Optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([BATCH, T, F], 0, 1, 'float32', 1) as tf.Tensor3D;
  const y = tf.randomUniform([BATCH], 0, 1, 'float32', 2).round() as tf.Tensor1D;
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => weightedBce(net.forward(x, true), y), vars);
    opt.applyGradients(grads);
    value.dataSync();
  });
  step(); // warm-up: kernels, optimizer slots
  const started = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const rate = (STEPS * BATCH) / ((performance.now() - started) / 1000);
  tf.dispose([x, y, ...vars]);
  opt.dispose();
  return rate;
}

function torchFigures(): Record<string, number> | string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-torch not importable (apt-get install python3-torch libopenblas0-pthread to compare; without OpenBLAS the Debian torch uses a generic BLAS ~10× slower)';
  const r = spawnSync('/usr/bin/python3', [join(__dirname, 'torch_bench.py'), String(STEPS)], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(require('node:os').cpus().length) },
  });
  if (r.status !== 0) return `torch bench failed: ${r.stderr.trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

(async () => {
  const backend = await selectBackend();
  const only = process.env.BENCH_ONLY;
  const ours = MODELS.filter(([name]) => !only || name.includes(only)).map(([name, build]) => {
    process.env.GATEBOOK_FUSED = '0';
    const plain = samplesPerSecond(build());
    delete process.env.GATEBOOK_FUSED;
    return [name, samplesPerSecond(build()), plain] as const;
  });
  const torch = torchFigures();
  console.log(`gatebook train bench: T=${T} F=${F} batch ${BATCH}, ${STEPS} timed steps, backend ${backend.name}, node ${process.version}`);
  console.log(`  ${'model'.padEnd(20)} ${'gatebook'.padStart(12)} ${'plain ops'.padStart(12)} ${'pytorch cpu'.padStart(12)} ${'ratio'.padStart(7)}`);
  for (const [name, rate, plain] of ours) {
    const ref = typeof torch === 'object' ? torch[name] : undefined;
    console.log(`  ${name.padEnd(20)} ${rate.toFixed(0).padStart(12)} ${plain.toFixed(0).padStart(12)} ${(ref ? ref.toFixed(0) : '-').padStart(12)} ${(ref ? (rate / ref).toFixed(2) : '-').padStart(7)}`);
  }
  if (typeof torch === 'string') console.log(`  (${torch})`);
  console.log('  samples/s = training samples per second (forward + backward + Adam step); plain ops = the same model with GATEBOOK_FUSED=0');
})();
