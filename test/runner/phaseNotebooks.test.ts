import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notebookParameters } from '../../lib/runner/parameters';
import { WORKFLOWS } from '../../lib/pipeline/workflows';
import { ROOT } from '../helpers/cli';

const dir = join(ROOT, 'notebooks');
const all = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();
/** notebooks over many experiments, outside the workflows */
const TOOLS = ['20_experiments.ipynb', '21_remote.ipynb', '22_sweep.ipynb'];
const names = all.filter((n) => !TOOLS.includes(n));

describe('phase notebooks', () => {
  it('are the eight phases, the gated workflow\'s seven gates, the two symbol workflows\' gates, and the experiments, remote and sweep notebooks', () => {
    expect(all.filter((n) => TOOLS.includes(n))).toEqual(TOOLS);
    expect(names).toEqual([
      '00_env', '01_data', '02_features', '03_baseline', '04_diagnostics', '05_optimization', '06_calibration', '07_finalize',
      '10_smoke', '11_minirocket_control', '12_pretrain', '13_finetune', '14_augment', '15_simple_lstm', '16_ensemble',
      '23_symbol_models', '24_multi_symbol',
    ].map((n) => `${n}.ipynb`));
  });

  it('are the workflow table\'s notebooks, each recording exactly its step\'s gates, with the ledger parameter', () => {
    const listed = new Set(Object.values(WORKFLOWS).flatMap((steps) => steps.map((s) => `${s.notebook}.ipynb`)));
    expect([...listed].sort()).toEqual(names);
    for (const [workflow, steps] of Object.entries(WORKFLOWS)) {
      for (const step of steps) {
        const source = JSON.parse(readFileSync(join(dir, `${step.notebook}.ipynb`), 'utf8')).cells.map((c: { source: string }) => c.source).join('\n');
        const calls = [...source.matchAll(/gb\.runGates\('([a-z_]+)', '([a-z_]+)', \{ config: cfg, artifacts: artifacts, ledger: ledger(, workflow: '([a-z-]+)')? \}\)/g)];
        expect(calls.length, step.notebook).toBe(1);
        const [, from, to, , named] = calls[0];
        // the step right after env may start from env (skipped when it passed with the same inputs): it runs on a fresh clone
        const first = steps.indexOf(step) === 1 && steps[0].gates.join() === 'env' ? ['env', step.gates[0]] : [step.gates[0]];
        expect(first, step.notebook).toContain(from);
        expect(to, step.notebook).toBe(step.gates.at(-1));
        if (/^[12]/.test(step.notebook)) expect(named, step.notebook).toBe(workflow); // the gated and symbol workflows' own notebooks name it
      }
    }
  });

  it.each(all)('%s: nbformat 4.5 with cell ids, no outputs, a markdown opening, typed parameters, short cells, the gatebook kernel', (name) => {
    const nb = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    expect(nb.metadata.kernelspec.name).toBe('gatebook');
    expect(nb.cells[0].cell_type).toBe('markdown');
    expect(nb.cells[0].source).toMatch(/What this (phase|gate|notebook) decides/);
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
    if (TOOLS.includes(name)) return;
    const params = notebookParameters(nb);
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['config', 'artifacts']));
    expect(nb.cells.at(-1).source).toMatch(/latestRecords/); // the last cell shows the gate table
  });
});
