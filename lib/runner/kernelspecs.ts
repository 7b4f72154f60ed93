import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors';

export interface Kernelspec {
  name: string;
  dir: string;
  argv: string[];
  env: Record<string, string>;
  interrupt_mode?: 'signal' | 'message';
}

/** Where Jupyter looks for kernelspecs: JUPYTER_PATH first, then the user's and the system's data dirs. */
export function kernelSearchPath(): string[] {
  const fromEnv = (process.env.JUPYTER_PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'kernels'));
  return [...fromEnv, join(homedir(), '.local', 'share', 'jupyter', 'kernels'), '/usr/local/share/jupyter/kernels', '/usr/share/jupyter/kernels'];
}

/** The installed kernelspec of this name, first on Jupyter's search path; null when none is installed. */
export function lookupKernelspec(name: string): Kernelspec | null {
  for (const base of kernelSearchPath()) {
    const file = join(base, name, 'kernel.json');
    if (!existsSync(file)) continue;
    const spec = JSON.parse(readFileSync(file, 'utf8')) as Omit<Kernelspec, 'name' | 'dir'>;
    return { name, dir: join(base, name), argv: spec.argv, env: spec.env ?? {}, interrupt_mode: spec.interrupt_mode };
  }
  return null;
}

export function findKernelspec(name: string): Kernelspec {
  const spec = lookupKernelspec(name);
  if (spec) return spec;
  throw new InputError(`no kernelspec named ${name} in ${kernelSearchPath().join(', ')}: install it with \`gatebook kernel install\` (and set JUPYTER_PATH to <prefix>/share/jupyter when you used --prefix)`);
}
