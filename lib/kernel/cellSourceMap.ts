import { dirname } from 'node:path';
import vm from 'node:vm';
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import { loadFixedConverter } from './converterFixes';

/*
 * Where a runtime error happened, in the cell's own lines. tslab compiles a cell twice —
 * TypeScript to an ES module (prefixed with one line, `export {};`), then that module to
 * CommonJS — and runs it wrapped in one function on line 1. Both compiles are asked for a
 * source map (the first inline, the second beside its output), each cell runs under its own
 * file name (`cell[7]`), and a stack frame in that file is mapped back through both maps.
 */

const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const FILE_MAP_COMMENT = /\n?\/\/# sourceMappingURL=\S+\s*$/;

interface TsLike {
  createWatchCompilerHost: (...args: unknown[]) => unknown;
  transpileModule: (input: string, options: { fileName?: string; compilerOptions?: Record<string, unknown> }) => { outputText: string; sourceMapText?: string };
}

interface Conversion {
  output: string;
  toModule: SourceMapConsumer; // CommonJS → ES module
  toCell: SourceMapConsumer; // ES module → the cell's TypeScript
}

/** One compiled cell: its maps, and the wrapper's width on line 1. */
export interface CellMap {
  name: string;
  prefixLength: number;
  conversion: Conversion;
}

export class CellSourceMaps {
  private last: Conversion | null = null;
  private readonly cells = new Map<string, CellMap>();
  private pendingName: string | null = null;

  /**
   * Give tslab's converter (before it is first loaded) a compiler whose two compiles emit
   * source maps, and Node's vm a name for each cell. The compiler module's exports are
   * read-only getters, so the converter is handed a copy with two functions replaced.
   */
  constructor() {
    const converterPath = require.resolve('tslab/dist/converter');
    const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [dirname(converterPath)] });
    if (require.cache[converterPath]) return; // loaded before us: frames stay as the compiled code's
    const ts = require(tsPath) as TsLike & Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(ts)) Object.defineProperty(copy, key, { enumerable: true, configurable: true, get: () => ts[key] });
    const transpile = ts.transpileModule.bind(ts);
    const createHost = ts.createWatchCompilerHost.bind(ts);
    Object.defineProperty(copy, 'transpileModule', { enumerable: true, value: (input: string, options: Parameters<TsLike['transpileModule']>[1]) => this.transpile(transpile, input, options) });
    Object.defineProperty(copy, 'createWatchCompilerHost', {
      enumerable: true,
      value: (roots: unknown, options: Record<string, unknown>, ...rest: unknown[]) => createHost(roots, { ...options, inlineSourceMap: true, sourceMap: false }, ...rest),
    });
    require.cache[tsPath]!.exports = copy;
    try {
      loadFixedConverter(converterPath);
    } finally {
      require.cache[tsPath]!.exports = ts;
    }
    const runInThisContext = vm.runInThisContext;
    (vm as { runInThisContext: typeof vm.runInThisContext }).runInThisContext = (code: string, options?: vm.RunningScriptOptions | string) => {
      const name = this.pendingName;
      if (name && typeof options === 'object' && options.breakOnSigint && this.last && code.includes(this.last.output)) {
        this.pendingName = null;
        this.cells.set(name, { name, prefixLength: code.indexOf(this.last.output), conversion: this.last });
        return runInThisContext(code, { ...options, filename: name });
      }
      return runInThisContext(code, options);
    };
  }

  /** The second compile (ES module → CommonJS) of a cell, asked for its map; the first compile's inline map is taken off and kept. */
  private transpile(transpile: TsLike['transpileModule'], input: string, options: Parameters<TsLike['transpileModule']>[1]): ReturnType<TsLike['transpileModule']> {
    const inline = options.fileName === 'custom.js' ? INLINE_MAP.exec(input) : null;
    if (!inline) return transpile(input, options);
    const result = transpile(input.slice(0, inline.index), { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
    const output = result.outputText.replace(FILE_MAP_COMMENT, '');
    this.last = {
      output,
      toModule: new SourceMapConsumer(JSON.parse(result.sourceMapText ?? '{}') as RawSourceMap),
      toCell: new SourceMapConsumer(JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')) as RawSourceMap),
    };
    return { ...result, outputText: output };
  }

  /** The name the next cell runs under. */
  nameNext(name: string): void {
    this.pendingName = name;
    this.last = null;
  }

  /** A frame `name:line:column` of a cell, as a 1-based line and column in that cell's source; null when not ours. */
  locate(name: string, line: number, column: number): { line: number; column: number } | null {
    const cell = this.cells.get(name);
    if (!cell) return null;
    const col0 = (line === 1 ? column - 1 - cell.prefixLength : column - 1);
    if (col0 < 0) return null;
    const inModule = cell.conversion.toModule.originalPositionFor({ line, column: col0, bias: SourceMapConsumer.GREATEST_LOWER_BOUND });
    if (inModule.line == null) return null;
    const inCell = cell.conversion.toCell.originalPositionFor({ line: inModule.line, column: inModule.column ?? 0, bias: SourceMapConsumer.GREATEST_LOWER_BOUND });
    if (inCell.line == null) return null;
    const cellLine = inCell.line - 1; // the first compile's source starts with one line, `export {};`
    return cellLine >= 1 ? { line: cellLine, column: (inCell.column ?? 0) + 1 } : null;
  }
}
