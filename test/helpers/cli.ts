import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** Run the built `gatebook` binary; the suite builds first (`npm test`). */
export function gatebook(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { cwd, encoding: 'utf8', env: { ...env, CI: 'true' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process: for a test whose server runs in this process (a blocked event loop answers nothing). */
export function gatebookAsync(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { cwd, env: { ...env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A new folder in the system's temporary folder, removed after the test file (`setup.ts`; kept when a test failed). */
export function tempDir(prefix = 'gatebook-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  testDirs().push(dir);
  return dir;
}

/** The folders this test file made (on globalThis: the setup file and the tests may load this module apart). */
export function testDirs(): string[] {
  const g = globalThis as { gatebookTestDirs?: string[] };
  return (g.gatebookTestDirs ??= []);
}
