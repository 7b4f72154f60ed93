import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface DeviceReport {
  cpu: string;
  cores: number;
  memoryGb: number;
  gpu: { name: string; memoryGb: number } | null;
}

/** What the machine has: CPU, cores, memory, and the first NVIDIA GPU where one is visible. */
export function deviceReport(): DeviceReport {
  return {
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    gpu: nvidiaGpu(),
  };
}

function nvidiaGpu(): DeviceReport['gpu'] {
  try {
    const line = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000,
    }).split('\n')[0];
    const [name, mib] = line.split(',').map((s) => s.trim());
    return name ? { name, memoryGb: Math.round((Number(mib) / 1024) * 10) / 10 } : null;
  } catch {
    return null;
  }
}
