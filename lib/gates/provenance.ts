import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { packageRoot } from '../util/packageRoot';
import type { Provenance } from './record';

/** git commit and dirty flag of the package's checkout; nulls outside a git checkout. */
export function gitState(root = packageRoot()): Provenance['git'] {
  try {
    const run = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']).length > 0;
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** sha256 of the code that runs: every file under the built dist/ (or lib/ when running from source). */
export function codeSha256(root = packageRoot()): string {
  const hash = createHash('sha256');
  const base = statSafe(join(root, 'dist')) ? join(root, 'dist') : join(root, 'lib');
  for (const file of listFiles(base).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))) {
    hash.update(file.slice(base.length));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Versions of Node and the packages whose behaviour the numbers depend on. */
export function versions(): Record<string, string> {
  const of = (name: string) => {
    try {
      return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  const own = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return {
    node: process.versions.node,
    gatebook: own.version,
    'nodejs-polars': of('nodejs-polars'),
    '@tensorflow/tfjs': of('@tensorflow/tfjs'),
    '@tensorflow/tfjs-backend-wasm': of('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-node': of('@tensorflow/tfjs-node'),
  };
}

/** The machine: CPU model and count (the training issue adds GPU and backend). */
export function deviceName(): string {
  const list = cpus();
  return `${list[0]?.model?.trim() ?? 'unknown CPU'} × ${list.length}`;
}

export function host(): string {
  return hostname();
}
