import Module from 'node:module';
import { join } from 'node:path';
import { requestCancel, workInProgress } from '../util/cancel';
import { packageRoot } from '../util/packageRoot';
import { CellSourceMaps } from './cellSourceMap';

/** How long an interrupted cell's cancellable work may take to stop before the cell is abandoned. */
export const INTERRUPT_GRACE_MS = Number(process.env.GATEBOOK_INTERRUPT_GRACE_MS ?? 10_000);

/** What one cell did: its last expression's value, or an error as the protocol wants it. */
export type CellOutcome =
  | { ok: true; hasValue: boolean; value?: unknown }
  | { ok: false; ename: string; evalue: string; traceback: string[] };

interface TslabExecutor {
  execute(src: string): Promise<boolean>;
  inspect(src: string, position: number): unknown;
  complete(src: string, position: number): { start: number; end: number; candidates: string[] };
  interrupt(): void;
  close(): void;
}

interface Diagnostic {
  line: number;
  column: number;
  message: string;
}

/**
 * tslab's compiler and executor, used as libraries: TypeScript cells, top-level await,
 * local module reload. What tslab prints to a console is captured instead — compile
 * diagnostics and runtime errors become the protocol's ename / evalue / traceback, the last
 * expression's value becomes an execute_result.
 *
 * The type environment and module resolution come from the gatebook installation: the
 * compiler is created from the package's root (its node_modules/@types/node and the
 * `gatebook` self-link), and Node falls back to that node_modules for `require`, so a
 * notebook anywhere can `import … from 'gatebook'` and use Node's types.
 */
export class CellExecutor {
  private readonly executor: TslabExecutor;
  private readonly inspector: { printQuickInfo(info: unknown): string };
  private diagnostics: Diagnostic[] = [];
  private runtimeError: unknown = null;
  private lastValue: { value: unknown } | null = null;
  private readonly sourceMaps: CellSourceMaps;
  private cells = 0;
  private running: Promise<unknown> | null = null;

  constructor(workDir = process.cwd()) {
    const root = packageRoot();
    addGlobalModulePath(join(root, 'node_modules'));
    this.sourceMaps = new CellSourceMaps(); // before tslab's converter loads
    const { createConverter } = require('tslab/dist/converter');
    const { createExecutor } = require('tslab/dist/executor');
    this.inspector = require('tslab/dist/inspect');
    process.chdir(root); // the compiler reads its type environment from here
    const node = createConverter({ isJS: false, isBrowser: false });
    process.chdir(workDir);
    const convs = { node, browser: node, close: () => node.close() };
    this.executor = createExecutor(workDir, convs, {
      log: (value: unknown) => (this.lastValue = { value }),
      error: (...args: unknown[]) => this.captureError(args),
    });
  }

  /** Run one cell; `name` (the execution count) is how its frames are named in later tracebacks. */
  async execute(code: string, name = `~${this.cells + 1}`): Promise<CellOutcome> {
    this.cells++;
    this.diagnostics = [];
    this.runtimeError = null;
    this.lastValue = null;
    const cellName = `cell[${name}]`;
    this.sourceMaps.nameNext(cellName);
    const running = this.executor.execute(code);
    this.running = running;
    let ok: boolean;
    try {
      ok = await running;
    } finally {
      this.running = null;
    }
    const last = this.lastValue as { value: unknown } | null; // set by the executor's console.log
    if (ok) return last ? { ok: true, hasValue: true, value: last.value } : { ok: true, hasValue: false };
    if (this.diagnostics.length > 0) return compileError(this.diagnostics, code);
    return runtimeError(this.runtimeError, code, cellName, (n, l, c) => this.sourceMaps.locate(n, l, c));
  }

  complete(code: string, cursor: number): { start: number; end: number; matches: string[] } {
    const info = this.executor.complete(code, cursor);
    return { start: info.start, end: info.end, matches: info.candidates };
  }

  inspect(code: string, cursor: number): string | null {
    const info = this.executor.inspect(code, cursor);
    return info ? this.inspector.printQuickInfo(info) : null;
  }

  /**
   * Stop the running cell. Work it started that checks its cancellation (training checks
   * every batch, a pipeline between gates) stops at its next check and the cell ends with
   * that work's InterruptedError, after its gate was recorded as `error: interrupted`. A
   * cell with no such work running (it only awaits), or one that has not ended within
   * INTERRUPT_GRACE_MS, is abandoned: what it awaits is left behind and the kernel is ready.
   */
  interrupt(why = 'the notebook was interrupted'): void {
    requestCancel(why);
    const running = this.running;
    if (!running) return;
    const abandon = () => {
      if (this.running === running) this.executor.interrupt();
    };
    if (!workInProgress()) return abandon();
    const started = Date.now();
    let stoppedAt = 0;
    const poll: NodeJS.Timeout = setInterval(() => {
      if (this.running !== running) return clearInterval(poll);
      if (!workInProgress()) stoppedAt ||= Date.now();
      // the work stopped but the cell awaits something else: give it a moment to end by itself
      if (Date.now() - started > INTERRUPT_GRACE_MS || (stoppedAt && Date.now() - stoppedAt > 1000)) {
        clearInterval(poll);
        abandon();
      }
    }, 50);
    poll.unref();
  }

  close(): void {
    this.executor.close();
  }

  private captureError(args: unknown[]): void {
    if (args[0] === '%s%d:%d - %s') {
      this.diagnostics.push({ line: Number(args[2]), column: Number(args[3]), message: String(args[4]) });
    } else {
      this.runtimeError = args.length === 1 ? args[0] : args.map(String).join(' ');
    }
  }
}

function addGlobalModulePath(dir: string): void {
  const paths = (process.env.NODE_PATH ?? '').split(':').filter(Boolean);
  if (paths.includes(dir)) return;
  process.env.NODE_PATH = [...paths, dir].join(':');
  (Module as unknown as { _initPaths(): void })._initPaths();
}

function pointAt(code: string, line: number, column: number): string[] {
  const text = code.split('\n')[line - 1] ?? '';
  return [`  ${text}`, `  ${' '.repeat(Math.max(0, column - 1))}^`];
}

function compileError(diagnostics: Diagnostic[], code: string): CellOutcome {
  const first = diagnostics[0];
  const traceback = diagnostics.flatMap((d) => [`cell line ${d.line}:${d.column} - error TS: ${d.message}`, ...pointAt(code, d.line, d.column)]);
  return { ok: false, ename: 'TypeScriptCompileError', evalue: `line ${first.line}:${first.column}: ${first.message}`, traceback };
}

type Locate = (cell: string, line: number, column: number) => { line: number; column: number } | null;

const HIDDEN_FRAME = /\(node:|node:internal|node_modules\/tslab|node_modules\/@tslab|\/kernel\/(cellExecutor|cellSourceMap|server)\.(js|ts)/;

/** An interrupted cell's outcome, the same however it was stopped (`how`, in the traceback). */
function interrupted(how: string): CellOutcome {
  return { ok: false, ename: 'Interrupted', evalue: 'the cell was interrupted', traceback: [`Interrupted: the cell was interrupted (${how}; the kernel is ready)`] };
}

/**
 * A runtime error, every frame in a cell named by the cell's own line and column (through
 * the compile's source maps), library frames by their source path, the kernel's own frames
 * left out; the first frame in this cell is shown with its line and a caret.
 */
function runtimeError(error: unknown, code: string, cellName: string, locate: Locate): CellOutcome {
  if (!(error instanceof Error)) {
    const text = error === null ? 'the cell failed without an error value' : String(error);
    return { ok: false, ename: 'Error', evalue: text, traceback: [text] };
  }
  if (error.message === 'Interrupted asynchronously') return interrupted('what it awaited was abandoned');
  if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') return interrupted('its synchronous code was stopped where it was'); // node's vm at SIGINT
  const stack = error.stack ?? `${error.name}: ${error.message}`;
  let here: { line: number; column: number } | null = null;
  const frames = stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && !HIDDEN_FRAME.test(l))
    .flatMap((frame) => {
      const m = /(cell\[[^\]]+\]):(\d+):(\d+)/.exec(frame);
      if (!m) return [frame];
      const at = locate(m[1], Number(m[2]), Number(m[3]));
      if (!at) return []; // the line that calls the cell's wrapper: not the user's code
      if (m[1] === cellName && !here) here = at;
      // tslab keeps a cell's declarations on a Proxy: `at Proxy.f` is the user's `f`
      return [frame.replace(m[0], m[1] === cellName ? `cell line ${at.line}:${at.column}` : `${m[1]} line ${at.line}:${at.column}`).replace(/\bat Proxy\./, 'at ')];
    });
  const at = here as { line: number; column: number } | null;
  const where = at ? [`cell line ${at.line}:${at.column}:`, ...pointAt(code, at.line, at.column)] : [];
  const header = `${error.name}: ${error.message}`;
  return { ok: false, ename: error.name || 'Error', evalue: error.message, traceback: [header, ...where, ...frames] };
}
