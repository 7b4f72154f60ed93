import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli';

/** A notebook for the gatebook kernel with these code cells (ids c0, c1, …), in a folder of its own. */
export function toyNotebook(cells: Array<{ source: string; tags?: string[] }>): string {
  const path = join(tempDir('toy-nb-'), 'toy.ipynb');
  writeFileSync(path, JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'gatebook', display_name: 'TypeScript (gatebook)', language: 'typescript' } },
    cells: cells.map((c, i) => ({ id: `c${i}`, cell_type: 'code', metadata: c.tags ? { tags: c.tags } : {}, execution_count: null, outputs: [], source: c.source })),
  }));
  return path;
}

export interface ExecutedCell { id: string; cell_type: string; metadata: Record<string, any>; outputs: Array<Record<string, any>> }

/** The cells of an executed notebook, with their outputs and metadata. */
export const executedCells = (path: string) => JSON.parse(readFileSync(path, 'utf8')).cells as ExecutedCell[];
