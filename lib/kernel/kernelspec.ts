import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import { writeFileAtomic } from '../util/atomic';

export interface KernelspecOptions {
  /** Install under <prefix>/share/jupyter/kernels (default: the user's ~/.local/share/jupyter/kernels). */
  prefix?: string;
  name?: string;
  displayName?: string;
  /** Environment for the kernel, e.g. { GATEBOOK_BACKEND: 'wasm' }. */
  env?: Record<string, string>;
}

/** The command that starts this installation's kernel with this Node (source maps on: library frames in tracebacks name lib/*.ts). */
export function kernelCommand(connectionFile: string): string[] {
  return [process.execPath, '--enable-source-maps', join(packageRoot(), 'bin', 'gatebook.js'), 'kernel', 'start', '--connection-file', connectionFile];
}

/** The kernel.json that starts THIS installation's kernel with this Node. */
export function kernelspec(o: KernelspecOptions = {}): Record<string, unknown> {
  return {
    argv: kernelCommand('{connection_file}'),
    display_name: o.displayName ?? 'TypeScript (gatebook)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: o.env ?? {},
    metadata: { gatebook: { root: packageRoot() } },
  };
}

export function kernelsDir(prefix?: string): string {
  return prefix ? join(prefix, 'share', 'jupyter', 'kernels') : join(homedir(), '.local', 'share', 'jupyter', 'kernels');
}

export function installKernelspec(o: KernelspecOptions = {}): string {
  const dir = join(kernelsDir(o.prefix), o.name ?? 'gatebook');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'kernel.json'), JSON.stringify(kernelspec(o), null, 2) + '\n');
  return dir;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** What would stop the kernel from starting, each with what to do about it. */
export function doctor(o: KernelspecOptions = {}): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const check = (name: string, fn: () => string, fix: string) => {
    try {
      checks.push({ name, ok: true, detail: fn() });
    } catch (e) {
      checks.push({ name, ok: false, detail: (e as Error).message.split('\n')[0], fix });
    }
  };
  check('node', () => {
    if (Number(process.versions.node.split('.')[0]) < 20) throw new Error(`Node ${process.versions.node} is older than 20`);
    return `Node ${process.versions.node}`;
  }, 'install Node 20 or newer');
  check('built library', () => {
    if (!existsSync(join(packageRoot(), 'dist', 'index.js'))) throw new Error('dist/ is missing');
    return join(packageRoot(), 'dist');
  }, 'run `npm run build` (or `npm ci`) in the gatebook folder');
  check('zeromq', () => `zeromq ${(require('zeromq/package.json') as { version: string }).version} loads (${typeof require('zeromq').Router})`, 'run `npm ci`: the zeromq package ships prebuilt binaries');
  check('TypeScript compiler', () => {
    const { createConverter } = require('tslab/dist/converter');
    const cwd = process.cwd();
    process.chdir(packageRoot());
    const conv = createConverter({ isJS: false, isBrowser: false });
    process.chdir(cwd);
    const out = conv.convert('', 'const x: number = 1; console.log(x)');
    conv.close();
    if (out.diagnostics.length) throw new Error(`a trivial cell does not compile: ${out.diagnostics[0].messageText}`);
    return 'tslab compiles a cell with Node types';
  }, 'run `npm ci` so tslab and @types/node are installed');
  const dir = join(kernelsDir(o.prefix), o.name ?? 'gatebook');
  check('kernelspec', () => {
    const spec = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as { argv: string[] };
    const script = spec.argv.find((a) => a.endsWith('.js')) ?? String(spec.argv[1]);
    if (!existsSync(script)) throw new Error(`${dir}/kernel.json starts ${script}, which does not exist`);
    return `${dir}/kernel.json`;
  }, `run \`gatebook kernel install${o.prefix ? ` --prefix ${o.prefix}` : ''}\``);
  check('jupyter', () => execFileSync('jupyter', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').find((l) => /jupyter_client|nbclient|core/.test(l)) ?? 'found', 'install Jupyter (Debian: apt-get install jupyter-client jupyter-nbconvert python3-nbclient)');
  return checks;
}
