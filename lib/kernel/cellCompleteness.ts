import { dirname } from 'node:path';

/**
 * The answer to a Jupyter `is_complete_request`: `complete` (run it), `incomplete` (a console
 * waits for another line, indented by `indent`) or `invalid` (it cannot parse however it goes
 * on; a console runs it at once, to show the error), as ipykernel answers for Python.
 * tslab decides complete against incomplete (a construct left open at the end of the code);
 * what it calls complete is parsed again with the same TypeScript, and parse errors make it
 * `invalid`, except a template literal left open at the end, which a next line can close.
 */
export type Completeness = { status: 'complete' } | { status: 'incomplete'; indent: string } | { status: 'invalid' };

type ParseDiagnostic = { start: number; length: number; messageText: unknown };
type Parser = { createSourceFile(name: string, text: string, target: number, setParents: undefined, kind: number): { parseDiagnostics?: ParseDiagnostic[] }; ScriptTarget: { Latest: number }; ScriptKind: { TSX: number } };

let tslab: { isCompleteCode(code: string): { completed: boolean; indent?: string }; ts: Parser } | null = null;

function load(): NonNullable<typeof tslab> {
  if (!tslab) {
    const converterPath = require.resolve('tslab/dist/converter');
    const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [dirname(converterPath)] })) as Parser;
    tslab = { isCompleteCode: (require(converterPath) as { isCompleteCode: NonNullable<typeof tslab>['isCompleteCode'] }).isCompleteCode, ts };
  }
  return tslab;
}

export function cellCompleteness(code: string): Completeness {
  const { isCompleteCode, ts } = load();
  const open = isCompleteCode(code);
  if (!open.completed) return { status: 'incomplete', indent: open.indent ?? '' };
  // tslab's parse is TSX, as here, so that both judge the same text the same way
  const diagnostics = ts.createSourceFile('cell.tsx', code, ts.ScriptTarget.Latest, undefined, ts.ScriptKind.TSX).parseDiagnostics ?? [];
  if (diagnostics.length === 0) return { status: 'complete' };
  const openTemplate = diagnostics.every((d) => d.start === code.length && String(d.messageText).startsWith('Unterminated template literal'));
  return openTemplate ? { status: 'incomplete', indent: '' } : { status: 'invalid' };
}
