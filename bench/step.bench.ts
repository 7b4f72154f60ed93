/**
 * One model's training step on one thread of the wasm backend, for finding where its time
 * goes (what `npm run bench:train` times over worker threads): milliseconds per step
 * (gradients and Adam, 128 rows by default, T = 60, F = 31, the bench's models) and, with
 * --kernels, the engine's kernels by time for one step (gatebook's fused kernels show as one
 * entry each — the matMuls inside them are not listed apart).
 *
 * Run: npm run bench:step -- lstm|bilstm|tcn|transformer [--rows 128] [--steps 15] [--kernels]
 *   (the first of the bench's models whose name starts with the word: `bench/models.ts`)
 * For a function-level profile: node --cpu-prof --import tsx bench/step.bench.ts lstm
 */
import { selectBackend, tf } from '../lib/backend';
import { createModel, type NeuralModel } from '../lib/models';
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

(async () => {
  const word = process.argv[2];
  const model = word ? MODELS.find(([name]) => name.startsWith(`${word} `)) : undefined;
  if (!model) {
    console.error(`usage: npm run bench:step -- ${[...new Set(MODELS.map(([name]) => name.split(' ')[0]))].join('|')} [--rows 128] [--steps 15] [--kernels]`);
    process.exit(2);
  }
  const [name, family, params] = model;
  const rows = option('--rows', 128), steps = option('--steps', 15);
  await selectBackend('wasm');
  const net = (createModel(family, params) as NeuralModel<Record<string, unknown>>).buildNet(F, T, 1);
  const vars = [...net.variables.values()];
  const x = tf.randomNormal([rows, T, F], 0, 1, 'float32', 1) as tf.Tensor3D;
  const y = tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 2));
  const opt: tf.Optimizer = tf.train.adam(1e-3);
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => weightedBce(net.forward(x, true), y), vars);
    opt.applyGradients(grads);
    return value.dataSync()[0];
  });
  for (let i = 0; i < 3; i++) step(); // warm-up: the JIT, the wasm modules
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    step();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}, ${rows} rows, one thread (wasm): median ${times[steps >> 1].toFixed(1)} ms a step, fastest ${times[0].toFixed(1)} ms (${steps} steps)`);
  if (process.argv.includes('--kernels')) {
    const profile = await tf.profile(() => void step());
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of profile.kernels) {
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
