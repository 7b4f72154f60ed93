import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';
import { installTestKernel, killParentOf, python as runPython } from '../helpers/kernel';

/** The gatebook kernel, installed in a temporary prefix and driven by Debian's Jupyter. */
const NAME = 'gatebook-test';
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  env = installTestKernel(NAME).env;
});

const python = (script: string, cwd: string) => runPython(script, cwd, env, 180_000);

describe('gatebook kernel', () => {
  it.each([['outside the project', tempDir('elsewhere-')], ['inside the project', ROOT]])('passes jupyter_kernel_test started %s', (_where, cwd) => {
    const r = python('test_gatebook_kernel.py', cwd);
    expect(r.stderr).toMatch(/Ran 12 tests/);
    expect(r.stderr).not.toMatch(/Not ready/); // tslab.display.html among the display checks
    expect(r.stderr, r.stderr).toMatch(/\nOK \(skipped=2\)/); // pager and clear_output are not offered
    expect(r.status).toBe(0);
  }, 180_000);

  it('interrupts an awaiting loop within 2 s and a synchronous one, drops a forged message, and reports errors with the cell line', () => {
    const r = python('protocol_checks.py', tempDir('protocol-'));
    const found = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(found.interrupt_seconds).toBeLessThan(2);
    expect(found.interrupt_reply).toEqual({ status: 'error', ename: 'Interrupted', evalue: 'the cell was interrupted' });
    expect(found.after_interrupt).toEqual(['next cell ran']);
    // the same error for a cell stopped in synchronous code (node's "Script execution was interrupted by `SIGINT`" before)
    expect(found.sync_interrupt_reply).toEqual({ status: 'error', ename: 'Interrupted', evalue: 'the cell was interrupted' });
    expect(found.after_sync_interrupt).toEqual(['next cell ran']);
    expect(found.execution_counts).toEqual([0, 0, 0, 1]); // a silent and a store_history=false cell leave the counter
    expect(found.user_expressions).toEqual({ // each alone: one that fails fails only itself
      product: { status: 'ok', text: '42' },
      missing: { status: 'error', ename: 'TypeScriptCompileError' },
      text: { status: 'ok', text: 'ue is 6' }, // a string as its execute_result shows it
    });
    expect(found.user_expressions_after_error).toEqual({}); // none after a failed cell, as ipykernel
    expect(found.forged_executed).toBe(false); // the wrong HMAC: never executed
    expect(found.signed_executed).toBe(true); // the same code, signed: executed
    expect(found.runtime_error.reply).toEqual({ status: 'error', ename: 'TypeError', evalue: 'broken on purpose' });
    expect(found.runtime_error.iopub[0].traceback.slice(0, 4).map((l: string) => l.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(['TypeError: broken on purpose', 'cell line 3:9:', "    throw new TypeError('broken on purpose');", '          ^']);
    expect(found.compile_error).toMatchObject({ status: 'error', ename: 'TypeScriptCompileError', evalue: "line 1:7: Type 'number' is not assignable to type 'string'." });
    expect(found.frame_mimes).toEqual(['text/html', 'text/markdown', 'text/plain']);
    expect(found.alive_after_shutdown).toBe(false);
    expect(found.exit_status).toBe(0); // it ended itself after shutdown_reply: no abort, no kill
  }, 180_000);

  it('a failing cell under nbconvert --execute shows the error name, message and cell line', () => {
    const dir = tempDir('nb-');
    const nb = join(dir, 'fails.ipynb');
    const cell = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
    writeFileSync(nb, JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: NAME, display_name: 'TypeScript (gatebook)', language: 'typescript' } },
      cells: [cell('a', 'const rows = 3;'), cell('b', 'const x = 1;\nif (rows > 2) {\n  throw new RangeError(`too many rows: ${rows}`);\n}')],
    }));
    // nbconvert's stderr to a file, not a pipe: the kernel inherits that descriptor, and a kernel
    // that aborted at shutdown (zeromq's Napi::Error, fixed in lib/kernel/heartbeat.ts) cut
    // nbconvert's traceback short in a pipe; a file keeps this test about the traceback alone
    const errFile = join(dir, 'stderr.txt');
    const errFd = openSync(errFile, 'w');
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', nb, '--output', join(dir, 'out.ipynb')], { env, stdio: ['ignore', 'ignore', errFd], timeout: 120_000 });
    closeSync(errFd);
    const stderr = readFileSync(errFile, 'utf8');
    expect(r.status).not.toBe(0);
    expect(stderr).toContain('RangeError');
    expect(stderr).toContain('too many rows: 3');
    expect(stderr).toContain('cell line 3:9:');
    expect(stderr).not.toMatch(/<Error>:/);
    expect(stderr).not.toContain('terminate called'); // the kernel ended cleanly at shutdown
  }, 120_000);
});

describe('gatebook kernel over the ipc transport (jupyter_client\'s transport=\'ipc\': sockets as files, no open port)', () => {
  it('answers and runs a cell; the socket files are named as the client names them (<ip>-<port>)', () => {
    const dir = tempDir('ipc-');
    const r = spawnSync('/usr/bin/python3', ['-c', [
      'import json, os',
      'from jupyter_client.manager import KernelManager',
      `km = KernelManager(kernel_name=${JSON.stringify(NAME)}, transport="ipc")`,
      'km.start_kernel()',
      'kc = km.client(); kc.start_channels()',
      'outputs = []',
      'try:',
      '    kc.wait_for_ready(timeout=60)',
      '    reply = kc.execute_interactive("6 * 7", timeout=60, output_hook=lambda m: outputs.append(m["content"].get("data", {}).get("text/plain")))',
      '    files = sorted(f for f in os.listdir(".") if f.startswith("kernel-ipc"))',
      '    print(json.dumps({"status": reply["content"]["status"], "outputs": [o for o in outputs if o], "files": len(files), "dashed": all(f.startswith("kernel-ipc-") for f in files)}))',
      'finally:',
      '    kc.stop_channels(); km.shutdown_kernel()',
    ].join('\n')], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    const found = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null');
    expect(found, r.stderr.slice(-2000)).toEqual({ status: 'ok', outputs: ['42'], files: 5, dashed: true });
  }, 120_000);
});

describe('gatebook kernel, started by a Jupyter client that is then killed', () => {
  it('ends by itself (jupyter_client names itself in JPY_PARENT_PID; ipykernel does the same)', async () => {
    // a client that starts the kernel and waits, as a Jupyter server does, until it is killed (SIGKILL: no shutdown_request)
    const client = spawn('/usr/bin/python3', ['-c', [
      'import sys, time',
      'from jupyter_client.manager import KernelManager',
      `km = KernelManager(kernel_name=${JSON.stringify(NAME)})`,
      'km.start_kernel()',
      'print(km.provisioner.process.pid, flush=True)',
      'time.sleep(600)',
    ].join('\n')], { env: { ...env, JUPYTER_RUNTIME_DIR: tempDir('runtime-') }, stdio: ['ignore', 'pipe', 'inherit'] }); // the killed client leaves its connection file there
    const kernel = await new Promise<number>((resolve, reject) => {
      client.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      client.once('exit', (code) => reject(new Error(`the client exited (${code}) before starting the kernel`)));
    });
    await new Promise((r) => setTimeout(r, 5000)); // the kernel is up and watching
    const tookMs = await killParentOf(kernel, client);
    expect(tookMs).not.toBeNull();
    expect(tookMs!).toBeLessThan(5000);
  }, 60_000);
});
