import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { InputError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';

export interface Cell {
  id: string;
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: Array<Record<string, unknown>>;
  execution_count?: number | null;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown> & { kernelspec?: { name: string; display_name?: string; language?: string } };
  cells: Cell[];
}

export const sourceOf = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
export const tagsOf = (cell: Cell) => (Array.isArray(cell.metadata?.tags) ? cell.metadata.tags : []);

/** Read an .ipynb (nbformat 4), naming what is wrong with a malformed one. */
export function readNotebook(path: string): Notebook {
  if (!existsSync(path)) throw new InputError(`${path}: no such notebook`);
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: not JSON: ${(e as Error).message}`);
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) throw new InputError(`${path}: not an nbformat 4 notebook (nbformat ${nb.nbformat}, cells ${Array.isArray(nb.cells) ? 'present' : 'missing'})`);
  nb.cells.forEach((c, i) => {
    if (!['code', 'markdown', 'raw'].includes(c.cell_type)) throw new InputError(`${path}: cell ${i + 1} has cell_type ${JSON.stringify(c.cell_type)}`);
    c.id ??= randomUUID().slice(0, 8);
    c.metadata ??= {};
  });
  return nb;
}

export function writeNotebook(path: string, nb: Notebook): void {
  writeFileAtomic(path, JSON.stringify(nb, null, 1) + '\n');
}

export function codeCell(source: string, tags: string[] = []): Cell {
  return { id: randomUUID().slice(0, 8), cell_type: 'code', source, metadata: tags.length ? { tags } : {}, outputs: [], execution_count: null };
}

export function markdownCell(source: string, tags: string[] = []): Cell {
  return { id: randomUUID().slice(0, 8), cell_type: 'markdown', source, metadata: tags.length ? { tags } : {} };
}
