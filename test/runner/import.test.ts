import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../lib/data/synthetic';
import { frameSha256 } from '../../lib/data/dataset';
import { ROOT, tempDir } from '../helpers/cli';

/**
 * The package is imported by its own name from a notebook in notebooks/, compiled by the
 * tslab kernel's TypeScript 5.0 and run headlessly by Debian's jupyter nbconvert.
 */
const prefix = tempDir('gatebook-kernel-');
const notebook = join(ROOT, 'notebooks', `.import-test-${process.pid}.ipynb`);

afterAll(() => rmSync(notebook, { force: true }));

function writeKernelspec(): string {
  const dir = join(prefix, 'share', 'jupyter', 'kernels', 'tslab-test');
  mkdirSync(dir, { recursive: true });
  const argv = [join(ROOT, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'];
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify({ argv, display_name: 'TypeScript (tslab)', language: 'typescript' }));
  return join(prefix, 'share', 'jupyter');
}

function cell(id: string, source: string) {
  return { cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source };
}

describe('notebook import', () => {
  it("runs a cell that imports 'gatebook' by name in the tslab kernel", () => {
    const jupyterPath = writeKernelspec();
    writeFileSync(notebook, JSON.stringify({
      nbformat: 4, nbformat_minor: 5,
      metadata: { kernelspec: { name: 'tslab-test', display_name: 'TypeScript', language: 'typescript' } },
      cells: [
        cell('c1', "import { generateSynthetic, frameSha256, SEED_FEATURES, type ValidationReport } from 'gatebook';\nconst frame = generateSynthetic({ bars: 500, seed: 7 });\nconsole.log(`sha=${frameSha256(frame)} features=${SEED_FEATURES.length}`);"),
      ],
    }));
    const out = join(tempDir(), 'executed.ipynb');
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', notebook, '--output', out, '--ExecutePreprocessor.timeout=120'], {
      encoding: 'utf8', env: { ...process.env, JUPYTER_PATH: jupyterPath },
    });
    expect(r.status, r.stderr).toBe(0);
    const executed = JSON.parse(readFileSync(out, 'utf8'));
    const text = executed.cells[0].outputs.map((o: { text?: string[] }) => (o.text ?? []).join('')).join('');
    expect(text.trim()).toBe(`sha=${frameSha256(generateSynthetic({ bars: 500, seed: 7 }))} features=34`);
  });
});
