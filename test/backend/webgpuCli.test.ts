/**
 * The webgpu backend through the CLI, on lavapipe: `gatebook env` describes the adapter (or
 * what is missing), and the smoke and baseline gates run end to end on webgpu with the cpu
 * backend's results.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { gatebook, tempDir } from '../helpers/cli';

const on = (backend: string, extra: Record<string, string> = {}) => ({ ...process.env, GATEBOOK_BACKEND: backend, ...extra });

describe('gatebook on the webgpu backend (lavapipe)', () => {
  it('env names the software adapter and says it would not be chosen by itself; without it, says what is missing', () => {
    const dir = tempDir();
    const r = gatebook(['env', '--artifacts', join(dir, 'a')], undefined, on('webgpu'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend\s+webgpu/);
    expect(r.stdout).toMatch(/device\s+llvmpipe.*\(mesa, Vulkan, software\)/);
    expect(r.stdout).toMatch(/webgpu_software\s+1/);
    expect(r.stdout).toMatch(/is a software adapter .* would not be chosen automatically/);
    const record = verifyLedger(join(dir, 'a', 'gates.jsonl')).records.at(-1)!;
    expect(record.metrics.webgpu_max_storage_buffers).toBeGreaterThanOrEqual(8);
    expect(record.provenance.device).toMatch(/^llvmpipe.*\(mesa, Vulkan, software\)$/);
    expect(record.metrics.webgpu_max_workgroup_size).toBeGreaterThanOrEqual(256);
    expect(r.stdout).toMatch(/WebGPU adapter llvmpipe.*vendor mesa, device llvmpipe.*limits maxStorageBuffersPerShaderStage=\d+/);

    const missing = gatebook(['env', '--artifacts', join(dir, 'b')], undefined, on('webgpu', { GATEBOOK_LAVAPIPE_ICD: join(dir, 'none.json') }));
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toMatch(/WebGPU: no hardware adapter/);
    expect(missing.stdout).toMatch(/✗ NVIDIA GPU: nvidia-smi shows none/);
    expect(missing.stdout).toMatch(/✗ software adapter \(lavapipe, for tests\).*\n\s+fix: bash scripts\/install-lavapipe.sh/);
    expect(missing.stderr).toMatch(/backend webgpu was asked for but cannot be used: no WebGPU adapter/);
  });

  it('smoke and baseline run end to end on webgpu with the cpu backend\'s results', () => {
    const dir = tempDir();
    const config = join(dir, 'small.yaml');
    writeFileSync(config, `name: small
data: { source: synthetic, generator: { bars: 3000, seed: 7 } }
features: { causalityPoints: 3, horizon: 4 }
split: { window: 16, horizon: 4 }
model: { family: lstm, params: { layers: 1, units: 8, dropout: 0 }, trainStride: 4 }
train: { epochs: 3, patience: 3, workers: 1 }
gates:
  env: { min_free_disk_gb: 0 }
  data: { min_rows: 1000 }
  split: { min_val_rows: 100, min_test_rows: 100 }
  baseline: { target_val_accuracy: 0, min_margin_over_majority: 0 }
`);
    const records = (backend: string) => {
      const artifacts = join(dir, backend);
      const r = gatebook(['pipeline', '--config', config, '--artifacts', artifacts, '--to', 'baseline'], undefined, on(backend));
      expect(r.stderr, r.stdout).not.toMatch(/Error|error:/);
      return verifyLedger(join(artifacts, 'gates.jsonl')).records;
    };
    const gpu = records('webgpu');
    const cpu = records('cpu');
    for (const gate of ['smoke', 'baseline']) {
      const g = gpu.find((r) => r.gate === gate)!;
      const c = cpu.find((r) => r.gate === gate)!;
      expect(g.provenance.backend).toBe('webgpu');
      expect(g.status).toBe(c.status);
      if (gate === 'baseline') {
        // a software adapter is not a GPU: the utilization check is waived, with nothing sampled
        expect(g.metrics).toMatchObject({ trained_on_gpu: 0, gpu_check_waived: 1, gpu_utilization_mean: null });
        expect(g.checks.find((c) => c.metric === 'gpu_utilization_mean')).toMatchObject({ pass: true, source: 'waived: gpu_check_waived = 1' });
      }
      for (const metric of gate === 'smoke' ? ['loss_ratio'] : ['val_loss', 'val_accuracy', 'val_roc_auc']) {
        expect(Math.abs(g.metrics[metric]! - c.metrics[metric]!), `${gate}.${metric}`).toBeLessThan(1e-4);
      }
    }
  });
});
