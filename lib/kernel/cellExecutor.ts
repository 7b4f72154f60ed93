import Module from 'node:module';
import { join } from 'node:path';
import { requestCancel } from '../util/cancel';
import { packageRoot } from '../util/packageRoot';

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
  private readonly isComplete: (code: string) => { completed: boolean; indent?: string };
  private diagnostics: Diagnostic[] = [];
  private runtimeError: unknown = null;
  private lastValue: { value: unknown } | null = null;

  constructor(workDir = process.cwd()) {
    const root = packageRoot();
    addGlobalModulePath(join(root, 'node_modules'));
    const { createConverter, isCompleteCode } = require('tslab/dist/converter');
    const { createExecutor } = require('tslab/dist/executor');
    this.inspector = require('tslab/dist/inspect');
    this.isComplete = isCompleteCode;
    process.chdir(root); // the compiler reads its type environment from here
    const node = createConverter({ isJS: false, isBrowser: false });
    process.chdir(workDir);
    const convs = { node, browser: node, close: () => node.close() };
    this.executor = createExecutor(workDir, convs, {
      log: (value: unknown) => (this.lastValue = { value }),
      error: (...args: unknown[]) => this.captureError(args),
    });
  }

  async execute(code: string): Promise<CellOutcome> {
    this.diagnostics = [];
    this.runtimeError = null;
    this.lastValue = null;
    const ok = await this.executor.execute(code);
    const last = this.lastValue as { value: unknown } | null; // set by the executor's console.log
    if (ok) return last ? { ok: true, hasValue: true, value: last.value } : { ok: true, hasValue: false };
    if (this.diagnostics.length > 0) return compileError(this.diagnostics, code);
    return runtimeError(this.runtimeError, code);
  }

  complete(code: string, cursor: number): { start: number; end: number; matches: string[] } {
    const info = this.executor.complete(code, cursor);
    return { start: info.start, end: info.end, matches: info.candidates };
  }

  inspect(code: string, cursor: number): string | null {
    const info = this.executor.inspect(code, cursor);
    return info ? this.inspector.printQuickInfo(info) : null;
  }

  isCompleteCode(code: string): { status: 'complete' | 'incomplete'; indent?: string } {
    const r = this.isComplete(code);
    return r.completed ? { status: 'complete' } : { status: 'incomplete', indent: r.indent ?? '' };
  }

  /** Stop the running cell: what it awaits is abandoned, and work it started (training, a pipeline) is cancelled at its next check. */
  interrupt(): void {
    requestCancel('the notebook was interrupted');
    this.executor.interrupt();
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

/**
 * A runtime error with the cell line it came from. V8 reports lines of the transpiled
 * JavaScript, and prints that line's code in the stack: the cell line is found by that code.
 */
function runtimeError(error: unknown, code: string): CellOutcome {
  if (!(error instanceof Error)) {
    const text = error === null ? 'the cell failed without an error value' : String(error);
    return { ok: false, ename: 'Error', evalue: text, traceback: [text] };
  }
  if (error.message === 'Interrupted asynchronously') {
    return { ok: false, ename: 'Interrupted', evalue: 'the cell was interrupted', traceback: ['Interrupted: the cell was interrupted (what it awaited was abandoned; the kernel is ready)'] };
  }
  const stack = error.stack ?? `${error.name}: ${error.message}`;
  const lines = stack.split('\n');
  const located = /^evalmachine\.<anonymous>:(\d+)$/.test(lines[0] ?? '') ? lines[1]?.trim() : undefined;
  const cellLines = code.split('\n');
  // tslab rewrites references to earlier cells' declarations as `exports.<name>`
  const normalize = (l: string) => l.replace(/\bexports\./g, '').replace(/\s+/g, '');
  const at = located ? cellLines.findIndex((l) => normalize(l) === normalize(located)) : -1;
  const frames = lines.filter((l) => /^\s+at /.test(l) && !/\(node:|node:internal|node_modules\/tslab|\/kernel\/(cellExecutor|server)\.js/.test(l));
  const where = at >= 0 ? [`cell line ${at + 1}:`, `  ${cellLines[at]}`] : [];
  return {
    ok: false,
    ename: error.name || 'Error',
    evalue: error.message,
    traceback: [`${error.name}: ${error.message}`, ...where, ...frames.map((f) => f.replace('evalmachine.<anonymous>', 'cell'))],
  };
}
