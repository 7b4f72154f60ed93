import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notebookParameters } from '../../lib/notebook/parameters';
import { ROOT } from '../helpers/cli';

const dir = join(ROOT, 'notebooks');
const names = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();

describe('phase notebooks', () => {
  it('are the eight phases', () => {
    expect(names).toEqual(['00_env', '01_data', '02_features', '03_baseline', '04_diagnostics', '05_optimization', '06_calibration', '07_finalize'].map((n) => `${n}.ipynb`));
  });

  it.each(names)('%s: nbformat 4.5 with cell ids, no outputs, a markdown opening, typed parameters, short cells, the gatebook kernel', (name) => {
    const nb = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    expect(nb.metadata.kernelspec.name).toBe('gatebook');
    expect(nb.cells[0].cell_type).toBe('markdown');
    expect(nb.cells[0].source).toMatch(/What this phase decides/);
    const ids = nb.cells.map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of nb.cells) {
      const lines = (Array.isArray(c.source) ? c.source.join('') : c.source).split('\n').length;
      if (c.cell_type === 'code') {
        expect(c.outputs).toEqual([]);
        expect(c.execution_count).toBeNull();
        expect(lines).toBeLessThanOrEqual(15);
      }
    }
    const params = notebookParameters(nb);
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['config', 'artifacts']));
    expect(nb.cells.at(-1).source).toMatch(/latestRecords/); // the last cell shows the gate table
  });
});
