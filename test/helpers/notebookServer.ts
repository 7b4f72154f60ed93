import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../lib/runner/engines';
import { tempDir } from './cli';
import { signalChild } from '../../lib/util/signalChild';

export interface NotebookServer {
  url: string;
  token: string;
  dir: string;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Debian's Jupyter Notebook (6.x) serving `dir`, on its own port, token, config and runtime
 * folders; `env` must carry the JUPYTER_PATH where the gatebook kernel is installed. The
 * system-wide nbextensions (jupyter-js-widgets) stay enabled. Resolves once the server answers.
 */
export async function startNotebookServer(dir: string, env: NodeJS.ProcessEnv): Promise<NotebookServer> {
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const home = tempDir('jupyter-home-');
  const runtime = join(home, 'runtime');
  mkdirSync(runtime, { recursive: true });
  const child: ChildProcess = spawn('/usr/bin/jupyter-notebook', [
    '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`,
    `--notebook-dir=${dir}`, '--allow-root', '--NotebookApp.disable_check_xsrf=False',
  ], { env: { ...env, JUPYTER_CONFIG_DIR: join(home, 'config'), JUPYTER_RUNTIME_DIR: runtime, JUPYTER_DATA_DIR: join(home, 'data'), IPYTHONDIR: join(home, 'ipython') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter-notebook exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`jupyter-notebook did not answer on ${url} in 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url, token, dir, log: () => log,
    stop: async () => {
      if (child.exitCode !== null) return;
      signalChild(child, 'SIGTERM'); // the server shuts its kernels down
      const timer = setTimeout(() => signalChild(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
