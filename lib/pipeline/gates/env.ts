import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { z } from 'zod';
import { adapterLine, currentBackend, deviceReport, microBenchmark } from '../../backend';
import { fusedEnabled } from '../../ops/fusedOp';
import { resolveWorkers } from '../../train';
import { freeBytes } from '../../util/disk';
import { EMBEDDED_VARIANTS } from '../../data/embedded';
import { packageRoot } from '../../util/packageRoot';
import type { RunContext } from '../context';
import { defineGate } from '../gate';

/**
 * Gate env: the machine can run the pipeline, and what it is, for the record: Node, the
 * backend (chosen before any gate runs), device, cores, memory, disk, data present, and a
 * micro-benchmark of the backend (per-op overhead, matMul GFLOP/s).
 */
export const envGate = defineGate({
  id: 'env', phase: 'planning', title: 'environment recorded and usable', requires: [], runbook: 'runbooks/01_planning.md',
  keyMetric: 'free_disk_gb',
  thresholds: z.object({
    min_node_major: z.number().int().default(20),
    min_free_disk_gb: z.number().nonnegative().default(1),
  }).strict(),
  checks: [
    { metric: 'node_major', op: '>=', threshold: 'min_node_major' },
    { metric: 'free_disk_gb', op: '>=', threshold: 'min_free_disk_gb' },
    { metric: 'polars_ok', op: '==', threshold: 1 },
    { metric: 'data_present', op: '==', threshold: 1 },
  ],
  async run(ctx) {
    const device = deviceReport();
    const bench = await microBenchmark();
    const backend = currentBackend();
    const adapter = backend?.adapter;
    return {
      metrics: {
        node_major: Number(process.versions.node.split('.')[0]),
        cores: cpus().length,
        memory_gb: round(totalmem() / 2 ** 30),
        free_disk_gb: round((freeBytes(ctx.artifactsDir) ?? 0) / 2 ** 30), // where the artifacts go, not the working directory
        polars_ok: polarsWorks() ? 1 : 0,
        seed: ctx.config.seed,
        gpu_memory_gb: device.gpu?.memoryGb ?? null,
        data_present: dataPresent(ctx) ? 1 : 0,
        op_overhead_us: round(bench.opOverheadUs),
        matmul_gflops: round(bench.matmulGflops),
        // which kernels ran: results differ between them only at float rounding, but a record says which
        fused_ops: fusedEnabled() ? 1 : 0,
        // processes that compute each batch's gradients (data parallelism; the count changes results at float rounding)
        train_workers: resolveWorkers(ctx.config.train.workers, backend?.name ?? 'cpu'),
        wasm_stock_kernels: backend?.name === 'wasm' ? (process.env.GATEBOOK_WASM_STOCK === '1' ? 1 : 0) : null,
        // the WebGPU adapter (webgpu backend only): a software one (lavapipe) runs only when forced
        webgpu_software: adapter ? (adapter.software ? 1 : 0) : null,
        webgpu_max_storage_buffers: adapter?.limits.maxStorageBuffersPerShaderStage ?? null,
        webgpu_max_buffer_gb: adapter ? round(adapter.limits.maxBufferSize / 2 ** 30) : null,
        webgpu_max_binding_gb: adapter ? round(adapter.limits.maxStorageBufferBindingSize / 2 ** 30) : null,
        webgpu_max_workgroup_size: adapter?.limits.maxComputeInvocationsPerWorkgroup ?? null,
      },
      artifacts: [],
      note: `backend ${backend?.name ?? 'none selected'}${backend?.skipped.length ? ` (passed over: ${backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}; ` +
        `${device.gpu ? `GPU ${device.gpu.name} ${device.gpu.memoryGb} GB; ` : ''}${adapter ? `WebGPU adapter ${adapterLine(adapter)}, vendor ${adapter.vendor}, device ${adapter.device || 'n/a'}, ` +
          `limits ${Object.entries(adapter.limits).map(([k, v]) => `${k}=${v}`).join(' ')}; ` : ''}${device.cores} × ${device.cpu}; ` +
        `op ${bench.opOverheadUs.toFixed(1)} µs, matMul ${bench.matmulGflops.toFixed(1)} GFLOP/s; ` +
        `${fusedEnabled() ? 'fused ops' : 'plain ops (GATEBOOK_FUSED=0)'}${backend?.name === 'wasm' && process.env.GATEBOOK_WASM_STOCK === '1' ? ', stock wasm kernels' : ''}`,
    };
  },
});

function polarsWorks(): boolean {
  try {
    return pl.DataFrame({ x: [1, 2] }).getColumn('x').sum() === 3;
  } catch {
    return false;
  }
}

/** The configured data can be had: the embedded spec, or the files, exist (generated data always can). */
function dataPresent(ctx: RunContext): boolean {
  const data = ctx.config.data;
  switch (data.source) {
    case 'embedded': return existsSync(join(packageRoot(), 'data', EMBEDDED_VARIANTS[data.variant ?? 'default']));
    case 'file': return existsSync(data.path);
    case 'files': return data.files.every((f) => existsSync(f.path));
    default: return true; // generated
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
