import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../util/errors';
import { codeCell, sourceOf, tagsOf, type Cell, type Notebook } from './notebookFile';

export interface Parameter {
  name: string;
  type: 'number' | 'string' | 'boolean';
  default: string;
  comment: string;
}

// parameters are `let` declarations with a type: the injected cell assigns new values to them
const DECLARATION = /^\s*let\s+([A-Za-z_$][\w$]*)\s*:\s*(number|string|boolean)\s*=\s*(.+?);?\s*(?:\/\/\s*(.*))?$/;

/** The typed parameters declared in the notebook's cell tagged `parameters`. */
export function notebookParameters(nb: Notebook): Parameter[] {
  const cell = nb.cells.find((c) => c.cell_type === 'code' && tagsOf(c).includes('parameters'));
  if (!cell) return [];
  return sourceOf(cell).split('\n').flatMap((line) => {
    const m = DECLARATION.exec(line);
    return m ? [{ name: m[1], type: m[2] as Parameter['type'], default: m[3].trim(), comment: m[4]?.trim() ?? '' }] : [];
  });
}

/**
 * `name=value` pairs checked against the declared parameters — an unknown name or a value
 * of the wrong type is an error before anything runs — and rendered as a typed cell.
 */
export function parameterCell(nb: Notebook, pairs: string[], where = 'notebook'): Cell | null {
  if (pairs.length === 0) return null;
  const declared = new Map(notebookParameters(nb).map((p) => [p.name, p]));
  const lines = pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new InputError(`invalid -p ${pair}: expected name=value`);
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const p = declared.get(name);
    if (!p) throw new InputError(`${where} has no parameter ${name} (parameters: ${[...declared.keys()].join(', ') || 'none — tag a cell "parameters"'})`);
    return `${name} = ${literal(p, raw, where)};`;
  });
  return codeCell(`// Injected parameters (gatebook run -p)\n${lines.join('\n')}`, ['injected-parameters']);
}

function literal(p: Parameter, raw: string, where: string): string {
  if (p.type === 'number') {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw new InputError(`${where}: parameter ${p.name} is a number, got ${JSON.stringify(raw)}`);
    return String(Number(raw));
  }
  if (p.type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new InputError(`${where}: parameter ${p.name} is a boolean (true or false), got ${JSON.stringify(raw)}`);
    return raw;
  }
  return JSON.stringify(raw);
}

/** The notebook with the injected cell placed right after the parameters cell (or first). */
export function withParameters(nb: Notebook, injected: Cell | null): Notebook {
  if (!injected) return nb;
  const cells = nb.cells.filter((c) => !tagsOf(c).includes('injected-parameters'));
  const at = cells.findIndex((c) => tagsOf(c).includes('parameters'));
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}

/**
 * `name=value` pairs from a YAML (or JSON) file of parameters — `-f params.yaml`, as
 * papermill's — a mapping of names to numbers, strings or booleans. Pairs given with `-p`
 * after it take precedence.
 */
export function parametersFromFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: cannot read the parameters file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(`${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`${path}: expected a mapping of parameter names to values, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  return Object.entries(doc as Record<string, unknown>).map(([name, value]) => {
    if (value === null || typeof value === 'object') throw new InputError(`${path}: parameter ${name} must be a number, a string or a boolean, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'a mapping'}`);
    return `${name}=${String(value)}`;
  });
}
