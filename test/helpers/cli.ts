import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** Run the built `gatebook` binary; the suite builds first (`npm test`). */
export function gatebook(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { cwd, encoding: 'utf8', env: { ...env, CI: 'true' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'gatebook-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
