/**
 * Data-layer figures on this machine: generate 1M one-minute bars, write and read them as
 * parquet, build every feature (target ≤ 1.0 s for 1M rows), and the peak RSS.
 * Run: npm run bench
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { generateSynthetic } from '../lib/data/synthetic';
import { buildFeatures, computeFeatures } from '../lib/features/build';
import { SEED_FEATURES } from '../lib/features/registry';
import { fitMiniRocket, transformMiniRocket } from '../lib/models/minirocket';
import { Random } from '../lib/util/random';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);

function time<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const value = fn();
  return [value, (performance.now() - started) / 1000];
}

const dir = mkdtempSync(join(tmpdir(), 'gatebook-bench-'));
const file = join(dir, 'bars.parquet');
const [frame, generate] = time(() => generateSynthetic({ interval: '1m', bars: ROWS, seed: 1 }));
const [, write] = time(() => frame.writeParquet(file, { compression: 'zstd' } as never));
const [read, readSeconds] = time(() => pl.readParquet(file));
const [built, features] = time(() => buildFeatures(read));
// MiniRocket on windows of 60 × 31: fit on 10k windows, transform a sample of them
const WINDOWS = 10_000;
const windowRng = new Random(3);
const windows = Array.from({ length: WINDOWS }, () => Float32Array.from({ length: 60 * 31 }, () => windowRng.normal()));
const [rocket, rocketFit] = time(() => fitMiniRocket(windows, 60, 31, { seed: 1 }));
const SAMPLE = Number(process.env.BENCH_ROCKET_WINDOWS ?? 500);
const [, rocketTransform] = time(() => windows.slice(0, SAMPLE).forEach((w) => transformMiniRocket(rocket, w)));
// a live signal builds the features of the bars seen so far, every bar: expressions built once per feature set,
// against the same call with a copy of the feature set each time (the expressions built again, as before the cache)
const recent = read.slice(0, 500);
const CALLS = 50;
computeFeatures(recent, SEED_FEATURES);
const [, cached] = time(() => { for (let i = 0; i < CALLS; i++) computeFeatures(recent, SEED_FEATURES); });
const [, rebuilt] = time(() => { for (let i = 0; i < CALLS; i++) computeFeatures(recent, [...SEED_FEATURES]); });
const rssMb = process.resourceUsage().maxRSS / 1024;

const rows = [
  ['generate 1M 1m bars', `${generate.toFixed(3)} s`, `${Math.round(ROWS / generate).toLocaleString('en')} rows/s`],
  ['write parquet (zstd)', `${write.toFixed(3)} s`, `${(statSync(file).size / 1e6).toFixed(1)} MB`],
  ['read parquet', `${readSeconds.toFixed(3)} s`, `${Math.round(ROWS / readSeconds).toLocaleString('en')} rows/s`],
  ['build all features + label', `${features.toFixed(3)} s`, `${Math.round(ROWS / features).toLocaleString('en')} rows/s (target ≤ 1.0 s per 1M rows: ${features * (1e6 / ROWS) <= 1 ? 'met' : 'MISSED'})`],
  ['feature output', `${built.frame.height.toLocaleString('en')} rows`, `${built.frame.width} columns`],
  ['MiniRocket fit (10k windows)', `${rocketFit.toFixed(3)} s`, `${rocket.biases.length} features, 60 × 31 windows`],
  ['MiniRocket transform', `${Math.round(SAMPLE / rocketTransform)} windows/s`, `(${SAMPLE} windows timed; 10k would take ${((WINDOWS * rocketTransform) / SAMPLE).toFixed(1)} s)`],
  ['features of 500 bars', `${((cached / CALLS) * 1000).toFixed(1)} ms`, `a call, expressions built once (reference: ${((rebuilt / CALLS) * 1000).toFixed(1)} ms building them every call, ${(rebuilt / cached).toFixed(1)}× slower)`],
  ['peak RSS', `${rssMb.toFixed(0)} MB`, ''],
];
console.log(`gatebook data bench: ${ROWS.toLocaleString('en')} rows, node ${process.version}, nodejs-polars ${require('nodejs-polars/package.json').version}`);
for (const [what, figure, note] of rows) console.log(`  ${what.padEnd(28)} ${figure.padStart(14)}  ${note}`);
rmSync(dir, { recursive: true, force: true });
