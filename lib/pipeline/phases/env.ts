import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pl from 'nodejs-polars';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, deviceReport, microBenchmark } from '../../backend';
import { packageRoot } from '../../data/embedded';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

/**
 * Gate env: the machine can run the pipeline, and what it is, for the record: Node, the
 * backend (chosen before any gate runs), device, cores, memory, disk, data present, and a
 * micro-benchmark of the backend (per-op overhead, matMul GFLOP/s).
 */
export function envPhase(ctx: RunContext): PhaseOutput {
  const device = deviceReport();
  const bench = microBenchmark();
  const backend = currentBackend();
  const disk = statfsSync(process.cwd());
  let polarsOk = 0;
  try {
    polarsOk = pl.DataFrame({ x: [1, 2] }).getColumn('x').sum() === 3 ? 1 : 0;
  } catch {
    polarsOk = 0;
  }
  return {
    metrics: {
      node_major: Number(process.versions.node.split('.')[0]),
      cores: cpus().length,
      memory_gb: round(totalmem() / 2 ** 30),
      free_disk_gb: round((disk.bavail * disk.bsize) / 2 ** 30),
      polars_ok: polarsOk,
      seed: ctx.config.seed,
      gpu_memory_gb: device.gpu?.memoryGb ?? null,
      data_present: dataPresent(ctx) ? 1 : 0,
      op_overhead_us: round(bench.opOverheadUs),
      matmul_gflops: round(bench.matmulGflops),
    },
    artifacts: [],
    note: `backend ${backend?.name ?? 'none selected'}${backend?.skipped.length ? ` (passed over: ${backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}; ` +
      `${device.gpu ? `GPU ${device.gpu.name} ${device.gpu.memoryGb} GB; ` : ''}${device.cores} × ${device.cpu}; ` +
      `op ${bench.opOverheadUs.toFixed(1)} µs, matMul ${bench.matmulGflops.toFixed(1)} GFLOP/s`,
  };
}

/** The configured data can be had: the embedded spec, or the file, exists (synthetic always can). */
function dataPresent(ctx: RunContext): boolean {
  const data = ctx.config.data;
  if (data.source === 'embedded') return existsSync(join(packageRoot(), 'data', 'embedded.json'));
  return data.source === 'synthetic' || existsSync(data.path);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
