import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { cancellationToken } from '../util/cancel';
import { GatebookError, InputError } from '../util/errors';
import { signalChild } from '../util/signalChild';
import { CellTimeoutError, DeadKernelError, KernelClient, type Output } from './client';
import { getEngine } from './engines';
import { markdownCell, readNotebook, sourceOf, tagsOf, writeNotebook, type Cell, type Notebook } from './notebookFile';
import { parameterCell, withParameters } from './parameters';

export interface RunOptions {
  /** name=value pairs for the cell tagged `parameters` */
  params?: string[];
  /** where the executed notebook goes (default artifacts/notebooks/<name>) */
  out?: string;
  /** kernelspec name (default: the notebook's metadata, else gatebook) */
  kernel?: string;
  engine?: string;
  /** per-cell timeout */
  timeoutSeconds?: number;
  /** an executed notebook that failed: continue from its failed cell in a fresh kernel */
  resume?: string;
  /** cells with any of these tags are not run headlessly (default `skip-ci`) */
  skipTags?: string[];
  /** the kernel's working directory (default the notebook's folder) */
  cwd?: string;
  onCell?: (done: number, total: number, cell: Cell) => void;
  /** each output of each cell as it arrives (`--log-output`) */
  /** Each output as it arrives: the cell and its position in the notebook (0-based), and whether it updates an earlier display. */
  onOutput?: (output: Output, cell: Cell, index: number, update: boolean) => void;
}

export const DEFAULT_SKIP_TAGS = ['skip-ci'];

export interface FailedCell {
  index: number;
  id: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface RunResult {
  ok: boolean;
  out: string;
  failed: FailedCell | null;
  executed: number;
  seconds: number;
}

/**
 * Run a TypeScript notebook headlessly on a Jupyter kernel (papermill for TypeScript):
 * inject typed parameters after the `parameters` cell, execute each code cell with a
 * timeout while watching the kernel's life, save the notebook with outputs and per-cell
 * timing, and on failure mark the failing cell and stop. With `resume`, start a fresh
 * kernel, re-run the `parameters`, injected-parameters and `setup` cells before the failed
 * one (a new kernel has none of their variables; the other earlier cells keep their outputs
 * and their results live in artifacts and the ledger), then continue from the failed cell.
 */
export async function runNotebook(path: string, o: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const source = readNotebook(o.resume ?? path);
  let nb = withParameters(source, parameterCell(source, o.params ?? [], path));
  nb.cells = nb.cells.filter((c) => !tagsOf(c).includes('gatebook-error'));
  const failedBefore = o.resume ? nb.cells.findIndex((c) => (c.metadata.gatebook as { status?: string } | undefined)?.status === 'failed') : -1;
  if (o.resume && failedBefore < 0) throw new GatebookError(`${o.resume} has no failed cell to resume from`);
  const skipTags = o.skipTags ?? DEFAULT_SKIP_TAGS;
  const skipped = (c: Cell) => tagsOf(c).some((t) => skipTags.includes(t));
  const toRun = nb.cells.map((c, i) => c.cell_type === 'code' && !skipped(c) && (failedBefore < 0 || i >= failedBefore || tagsOf(c).some((t) => ['parameters', 'injected-parameters', 'setup'].includes(t))));
  for (const c of nb.cells.filter((c) => c.cell_type === 'code' && skipped(c))) {
    c.outputs = [];
    c.metadata.gatebook = { status: 'skipped', why: `tagged ${tagsOf(c).filter((t) => skipTags.includes(t)).join(', ')}` };
  }
  const out = o.out ?? join('artifacts', 'notebooks', basename(path));
  const kernelName = o.kernel ?? nb.metadata.kernelspec?.name ?? 'gatebook';
  const cwd = resolve(o.cwd ?? dirname(resolve(path)));
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`--cwd ${o.cwd}: no such folder`);
  const kernel = await getEngine(o.engine ?? 'kernelspec')(kernelName, cwd);
  const client = new KernelClient(kernel);
  let failed: FailedCell | null = null;
  let executed = 0;
  const total = toRun.filter(Boolean).length;
  // Ctrl-C here interrupts the kernel (as Jupyter's interrupt does): the running cell's work is cancelled at its next check
  const token = cancellationToken();
  const forward = setInterval(() => {
    if (token.cancelled() && kernel.process.exitCode === null) {
      signalChild(kernel.process, 'SIGINT');
      clearInterval(forward);
    }
  }, 100);
  try {
    await client.connect();
    kernel.started?.();
    for (let i = 0; i < nb.cells.length && !failed; i++) {
      if (!toRun[i]) continue;
      const cell = nb.cells[i];
      failed = await runCell(client, cell, i, (o.timeoutSeconds ?? 1800) * 1000, o.onOutput && ((out, update) => o.onOutput!(out, cell, i, update)));
      executed++;
      o.onCell?.(executed, total, cell);
      writeNotebook(out, nb); // progress is saved as it goes
    }
  } finally {
    clearInterval(forward);
    await client.shutdown();
  }
  if (failed) nb = markFailure(nb, failed);
  nb.metadata.gatebook = { ran: new Date().toISOString(), seconds: (Date.now() - started) / 1000, parameters: o.params ?? [], status: failed ? 'failed' : 'ok' };
  writeNotebook(out, nb);
  return { ok: !failed, out, failed, executed, seconds: (Date.now() - started) / 1000 };
}

async function runCell(client: KernelClient, cell: Cell, index: number, timeoutMs: number, onOutput?: (output: Output, update: boolean) => void): Promise<FailedCell | null> {
  const start = new Date();
  cell.outputs = [];
  let error: FailedCell | null = null;
  try {
    const r = await client.execute(sourceOf(cell), timeoutMs, onOutput);
    cell.outputs = r.outputs;
    cell.execution_count = r.executionCount;
    if (r.status !== 'ok') error = { index, id: cell.id, ...(r.error ?? { ename: 'Aborted', evalue: 'the kernel aborted the cell', traceback: [] }) };
  } catch (e) {
    if (!(e instanceof DeadKernelError || e instanceof CellTimeoutError)) throw e;
    const ename = e instanceof DeadKernelError ? 'DeadKernelError' : 'CellTimeoutError';
    error = { index, id: cell.id, ename, evalue: e.message, traceback: [`${ename}: ${e.message}`] };
    (cell.outputs as Output[]).push({ output_type: 'error', ename, evalue: e.message, traceback: error.traceback });
  }
  const end = new Date();
  cell.metadata.execution = { 'iopub.execute_input': start.toISOString(), 'shell.execute_reply': end.toISOString() };
  cell.metadata.gatebook = { seconds: (end.getTime() - start.getTime()) / 1000, status: error ? 'failed' : 'ok' };
  return error;
}

/** A red banner at the top naming the failed cell, as papermill does; the cell itself is marked in its metadata. */
function markFailure(nb: Notebook, f: FailedCell): Notebook {
  const banner = markdownCell(
    `<span style="color:red; font-weight:bold">Execution failed at cell ${f.index + 1} (id ${f.id}): ${f.ename}: ${f.evalue}</span>\n\n` +
      'The failing cell is marked `"gatebook": {"status": "failed"}` in its metadata; `gatebook run --resume <this notebook>` continues from it.',
    ['gatebook-error'],
  );
  return { ...nb, cells: [banner, ...nb.cells] };
}
