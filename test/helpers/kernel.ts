import { type ChildProcess, spawnSync } from 'node:child_process';
import { processAlive } from '../../lib/util/lock';
import { signalChild } from '../../lib/util/signalChild';
import { join } from 'node:path';
import { gatebook, ROOT, tempDir } from './cli';

/** The gatebook kernel installed under a temporary prefix for Debian's Jupyter; the env that finds it. */
export function installTestKernel(name = 'gatebook-test'): { prefix: string; env: NodeJS.ProcessEnv } {
  const prefix = tempDir('gatebook-kernelspec-');
  const r = gatebook(['kernel', 'install', '--prefix', prefix, '--name', name]);
  if (r.code !== 0) throw new Error(`gatebook kernel install failed: ${r.stderr}`);
  return { prefix, env: { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), GATEBOOK_KERNEL_NAME: name } };
}

/** Run one of test/kernel's Python scripts with Debian's python3 (jupyter_client, jupyter_kernel_test). */
export function python(script: string, cwd: string, env: NodeJS.ProcessEnv, timeout = 300_000) {
  return spawnSync('/usr/bin/python3', [join(ROOT, 'test', 'kernel', script)], { cwd, env, encoding: 'utf8', timeout });
}

/** The JSON object a check script prints on its last line. */
export function findings(stdout: string, stderr: string): Record<string, any> {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`the check script printed no findings:\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`);
  }
}

/**
 * Kill (SIGKILL) the process that started a kernel and wait for the kernel to end by itself:
 * the milliseconds it took, or null when it was still alive after 15 s (then it is killed, so
 * a failing test leaves no orphan behind).
 */
export async function killParentOf(kernel: number, parent: ChildProcess): Promise<number | null> {
  if (!processAlive(kernel)) throw new Error(`the kernel (pid ${kernel}) had ended before its parent was killed`);
  signalChild(parent, 'SIGKILL');
  const killedAt = Date.now();
  while (processAlive(kernel) && Date.now() - killedAt < 15_000) await new Promise((r) => setTimeout(r, 50));
  if (!processAlive(kernel)) return Date.now() - killedAt;
  process.kill(kernel, 'SIGKILL');
  return null;
}
