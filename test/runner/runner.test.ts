import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';
import { executedCells, toyNotebook } from '../helpers/notebooks';
import { killParentOf } from '../helpers/kernel';

/** `gatebook run` on toy notebooks and a phase notebook, with the kernel installed in a temporary prefix. */
const prefix = tempDir('gatebook-run-kernel-');
const env = { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), CI: 'true' };
const bin = join(ROOT, 'bin', 'gatebook.js');
const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
/** A cell that writes its kernel's pid to a file and then runs `body`; `kernelPid` waits (20 s at most) until it has, then reads it. */
function pidCell(body: string): { source: string; kernelPid: () => Promise<number> } {
  const pidFile = join(tempDir(), 'pid');
  return {
    source: `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n${body}`,
    kernelPid: async () => {
      for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
      return Number(readFileSync(pidFile, 'utf8'));
    },
  };
}

/** The text/plain result of one cell of an executed notebook, without its quotes. */
const cellText = (out: string, id: string) => (executedCells(out).find((c) => c.id === id)!.outputs![0] as { data: Record<string, string> }).data['text/plain'].replace(/^'|'$/g, '');

beforeAll(() => {
  expect(run(['kernel', 'install', '--prefix', prefix, '--name', 'gatebook']).status).toBe(0);
});



describe('gatebook run', () => {
  it('injects typed parameters after the parameters cell and checks them before anything runs', () => {
    const nb = toyNotebook([
      { source: "let epochs: number = 20; // passes over the data\nlet model: string = 'lstm';\nlet fast: boolean = false;", tags: ['parameters'] },
      { source: '`${model} × ${epochs} (fast: ${fast})`' },
    ]);
    expect(run(['run', nb, '--help-notebook']).stdout).toContain('epochs: number = 20   // passes over the data');
    const out = join(tempDir(), 'out.ipynb');
    const r = run(['run', nb, '-p', 'epochs=5', '-p', 'model=tcn', '-p', 'fast=true', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const cells = executedCells(out);
    expect(cells[1].metadata.tags).toEqual(['injected-parameters']);
    expect(cells[2].outputs![0]).toMatchObject({ output_type: 'execute_result', data: { 'text/plain': 'tcn × 5 (fast: true)' } });
    expect(cells[2].metadata.execution).toMatchObject({ 'iopub.execute_input': expect.any(String), 'shell.execute_reply': expect.any(String) });
    const unknown = run(['run', nb, '-p', 'epoch=5', '--out', join(tempDir(), 'x.ipynb')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('has no parameter epoch (parameters: epochs, model, fast)');
    const wrong = run(['run', nb, '-p', 'epochs=many']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('parameter epochs is a number, got "many"');
  }, 120_000);

  it('stops at a failing cell, marks it, and --resume continues from it in a fresh kernel', () => {
    const nb = toyNotebook([
      { source: 'let fail: boolean = true;', tags: ['parameters'] },
      { source: "import * as os from 'node:os'; const host = os.hostname();", tags: ['setup'] },
      { source: 'Date.now()' },
      { source: "if (fail) throw new Error('asked to fail');\nhost.length > 0" },
      { source: "'after'" },
    ]);
    const out = join(tempDir(), 'run.ipynb');
    const r = run(['run', nb, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cell 4 \(id c3\) failed: Error: asked to fail/);
    const cells = executedCells(out);
    expect(cells[0].metadata.tags).toEqual(['gatebook-error']);
    expect(cells.find((c) => c.id === 'c3')!.metadata.gatebook).toMatchObject({ status: 'failed' });
    expect(cells.find((c) => c.id === 'c4')!.outputs).toEqual([]); // nothing after the failure ran
    const firstNow = cells.find((c) => c.id === 'c2')!.outputs![0];
    const resumed = join(tempDir(), 'resumed.ipynb');
    const again = run(['run', nb, '--resume', out, '-p', 'fail=false', '--out', resumed]);
    expect(again.status, again.stderr).toBe(0);
    const after = executedCells(resumed);
    expect(after.find((c) => c.id === 'c2')!.outputs![0]).toEqual(firstNow); // not re-run: output kept
    expect(after.find((c) => c.id === 'c3')!.outputs![0]).toMatchObject({ data: { 'text/plain': 'true' } }); // setup re-ran: host defined
    expect(after.find((c) => c.id === 'c4')!.outputs![0]).toMatchObject({ data: { 'text/plain': 'after' } });
  }, 120_000);

  it('a cell that computes synchronously longer than the heartbeat timeout is not taken for a dead kernel (the heartbeat has its own thread)', () => {
    const nb = toyNotebook([{ source: 'const t0 = Date.now();\nwhile (Date.now() - t0 < 4000) { /* a long synchronous step: the event loop is blocked */ }\n"done"' }]);
    const out = join(tempDir(), 'busy.ipynb');
    const r = spawnSync(process.execPath, [bin, 'run', nb, '--out', out], { env: { ...env, GATEBOOK_HEARTBEAT_TIMEOUT_MS: '1500' }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(executedCells(out)[0].outputs[0]).toMatchObject({ data: { 'text/plain': 'done' } });
  }, 120_000);

  it('the kernel\'s connection file (its key signs the messages) is removed once the kernel has answered, and its folder is gone when the run ends, passed or failed', () => {
    const tmp = tempDir(); // the runner's temporary folder (TMPDIR), to see what it leaves
    for (const fail of [false, true]) {
      const nb = toyNotebook([
        { source: "const file = process.argv.find((a) => a.endsWith('connection.json'))!;\nfile" },
        { source: "require('fs').existsSync(file) ? 'the connection file is there' : 'no connection file'" },
        { source: fail ? "throw new Error('asked to fail')" : "'done'" },
      ]);
      const out = join(tempDir(), 'out.ipynb');
      const r = spawnSync(process.execPath, [bin, 'run', nb, '--out', out], { env: { ...env, TMPDIR: tmp }, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(fail ? 1 : 0);
      const file = cellText(out, 'c0');
      expect(dirname(dirname(file))).toBe(tmp); // the kernel was started with a file in the runner's temporary folder…
      // …which was gone while the cell ran (so a runner killed then leaves no key behind)
      expect(cellText(out, 'c1')).toBe('no connection file');
      expect(existsSync(dirname(file))).toBe(false);
      expect(readdirSync(tmp).filter((name) => name.startsWith('gatebook-run-'))).toEqual([]);
    }
  }, 120_000);

  it('a kernel killed in the middle of a cell makes gatebook run exit non-zero within seconds, naming the cell', async () => {
    const cell = pidCell('await new Promise(() => {});');
    const nb = toyNotebook([{ source: cell.source }]);
    const child = spawn(process.execPath, [bin, 'run', nb, '--out', join(tempDir(), 'killed.ipynb')], { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const kernel = await cell.kernelPid();
    const killedAt = Date.now();
    process.kill(kernel, 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(stderr).toMatch(/cell 1 \(id c0\) failed: DeadKernelError: the kernel process exited \(SIGKILL\)/);
  }, 120_000);

  it.each([
    ['awaiting', 'await new Promise(() => {});', 5000],
    // the main thread never gets back to its event loop: the watching thread kills the process after its grace
    ['computing synchronously', 'while (true) { /* a step that never yields */ }', 10_000],
  ])('a kernel whose gatebook run is killed (SIGKILL) ends by itself: a cell %s', async (_what, body, within) => {
    const cell = pidCell(body);
    const nb = toyNotebook([{ source: cell.source }]);
    const tmp = tempDir(); // the runner's TMPDIR, to see what its SIGKILL leaves
    const runner = spawn(process.execPath, [bin, 'run', nb, '--out', join(tempDir(), 'orphan.ipynb')], { env: { ...env, TMPDIR: tmp }, stdio: 'ignore' });
    const kernel = await cell.kernelPid();
    await new Promise((r) => setTimeout(r, 200)); // the cell is under way
    const tookMs = await killParentOf(kernel, runner);
    expect(tookMs).not.toBeNull();
    expect(tookMs!).toBeLessThan(within);
    expect(readdirSync(tmp).filter((name) => name.startsWith('gatebook-run-'))).toEqual([]); // no connection file (no key) left
  }, 120_000);

  it('a cell that calls process.exit(3) is reported as the kernel exiting with code 3, not as an abort', () => {
    const nb = toyNotebook([{ source: "console.log('before');\nprocess.exit(3);" }]);
    const r = spawnSync(process.execPath, [bin, 'run', nb, '--out', join(tempDir(), 'exit.ipynb')], { env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    // a process exiting while the heartbeat's thread held zeromq aborted (SIGABRT, "terminate called …")
    expect(r.stderr).toMatch(/cell 1 \(id c0\) failed: DeadKernelError: the kernel process exited \(code 3\)/);
    expect(r.stderr).not.toContain('terminate called');
  }, 120_000);

  it('the phase notebooks also run under jupyter nbconvert --execute with the installed kernelspec', () => {
    const dir = tempDir('nbconvert-');
    const out = join(dir, 'env.ipynb');
    // nbconvert has no parameters: a copy of the notebook whose artifacts parameter names a folder of the test's own
    const nb = JSON.parse(readFileSync(join(ROOT, 'notebooks', '00_env.ipynb'), 'utf8'));
    const params = nb.cells.find((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('parameters'));
    expect(params.source).toContain("let artifacts: string = 'artifacts';");
    params.source = params.source.replace("let artifacts: string = 'artifacts';", `let artifacts: string = ${JSON.stringify(join(dir, 'artifacts'))};`);
    const copy = join(ROOT, 'notebooks', `.nbconvert-${process.pid}.ipynb`);
    writeFileSync(copy, JSON.stringify(nb));
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', copy, '--output', out], { env, encoding: 'utf8', timeout: 120_000 });
    rmSync(copy);
    expect(r.status, r.stderr).toBe(0);
    const text = JSON.stringify(executedCells(out));
    expect(text).toContain('matmulGflops');
    expect(text).toContain('env: pass');
  }, 120_000);
});
