import { spawnSync } from 'node:child_process';
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
