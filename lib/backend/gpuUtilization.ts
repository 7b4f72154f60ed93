import { spawn, type ChildProcess } from 'node:child_process';
import { signalChild } from '../util/signalChild';

/** What the GPU did while something ran: nvidia-smi's utilization and memory, sampled. */
export interface GpuUtilization {
  samples: number;
  /** mean and max of utilization.gpu, % (the share of time a kernel was running) */
  meanPercent: number;
  maxPercent: number;
  /** most memory in use, GB */
  memoryUsedGb: number;
}

export interface GpuSampler {
  /** Stop sampling; null when nothing was sampled (no nvidia-smi, or it failed at once). */
  stop(): Promise<GpuUtilization | null>;
}

/**
 * Samples the first GPU every `intervalMs` with `nvidia-smi --query-gpu=utilization.gpu,memory.used
 * -lms …` in a child process of its own (nothing of the sampling runs on the training thread).
 * Where there is no nvidia-smi, stop() gives null. `command` is for a different tool path.
 */
export function sampleGpu(intervalMs = 500, command = 'nvidia-smi'): GpuSampler {
  const util: number[] = [];
  let memoryMib = 0;
  let child: ChildProcess | null = null;
  let buffered = '';
  try {
    child = spawn(command, ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits', `-lms`, String(intervalMs), '-i', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.on('error', () => void 0); // no nvidia-smi: no samples
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [u, m] = line.split(',').map((s) => Number(s.trim()));
        if (Number.isFinite(u)) util.push(u);
        if (Number.isFinite(m)) memoryMib = Math.max(memoryMib, m);
      }
    });
  } catch {
    child = null;
  }
  return {
    async stop() {
      if (child) {
        const exited = new Promise((resolve) => child!.once('close', resolve));
        if (signalChild(child, 'SIGTERM')) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      }
      if (util.length === 0) return null;
      return {
        samples: util.length,
        meanPercent: Math.round((util.reduce((a, b) => a + b, 0) / util.length) * 10) / 10,
        maxPercent: Math.max(...util),
        memoryUsedGb: Math.round((memoryMib / 1024) * 100) / 100,
      };
    },
  };
}

/**
 * Runs `work`, with the GPU sampled meanwhile when `onGpu` (training on tfjs-node-gpu or webgpu on
 * a hardware adapter); `gpu` is null when not sampled or nvidia-smi gave nothing. The sampler is
 * stopped whether the work ends or throws. `command` is for a different tool path.
 */
export async function sampledWhile<T>(onGpu: boolean, work: () => Promise<T>, command = 'nvidia-smi'): Promise<{ result: T; gpu: GpuUtilization | null }> {
  const sampler = onGpu ? sampleGpu(500, command) : null;
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await sampler?.stop();
    throw error;
  }
  return { result, gpu: (await sampler?.stop()) ?? null };
}
