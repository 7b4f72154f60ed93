import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';
import { executedCells, toyNotebook } from '../helpers/notebooks';

/**
 * `gatebook run` as on a fresh clone: no kernelspec installed anywhere Jupyter looks (an empty
 * JUPYTER_PATH, data folder and HOME), so the runner starts this installation's own kernel.
 * Then the runner's flags: --log-output, -f, skip tags, --cwd.
 */
const home = tempDir('fresh-home-');
const env = { ...process.env, HOME: home, JUPYTER_PATH: join(home, 'nowhere'), JUPYTER_DATA_DIR: join(home, 'data'), CI: 'true' };
const bin = join(ROOT, 'bin', 'gatebook.js');
const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 180_000 });

const plain = (cell: { outputs: Array<Record<string, any>> }) => cell.outputs.map((o) => o.text ?? o.data?.['text/plain']).join('');

describe('gatebook run on a fresh clone (no kernel installed)', () => {
  it('runs the data phase notebook with its own kernel; --log-output prints each cell\'s output', () => {
    expect(run(['kernel', 'list']).stdout).not.toMatch(/^\s*gatebook\s/m); // nothing installed where Jupyter looks
    const dir = tempDir('fresh-run-');
    const out = join(dir, '01_data.ipynb');
    const r = run(['run', 'notebooks/01_data.ipynb', '-p', `artifacts=${join(dir, 'artifacts')}`, '--out', out, '--log-output']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/── cell 4 \(01-02\): import \* as gb from 'gatebook';/);
    expect(r.stdout).toMatch(/backend \w+ on/); // the setup cell's one line
    expect(r.stdout).toMatch(/✓ data: pass/);
    expect(r.stdout).toContain(`saved ${out}`);
    const records = readFileSync(join(dir, 'artifacts', 'gates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.some((x) => x.gate === 'data' && x.status === 'pass')).toBe(true);
  }, 180_000);

  it('--log-output streams: a cell\'s output reaches the terminal while a later cell is still running', async () => {
    const nb = toyNotebook([{ source: "console.log('first cell says hi')" }, { source: 'await new Promise((r) => setTimeout(r, 4000));\n"slept"' }]);
    const child = spawn(process.execPath, [bin, 'run', nb, '--out', join(tempDir(), 'o.ipynb'), '--log-output'], { env });
    let seenAt = 0;
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!seenAt && stdout.includes('first cell says hi')) seenAt = Date.now();
    });
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    const exitedAt = Date.now();
    expect(code).toBe(0);
    expect(seenAt).toBeGreaterThan(0);
    expect(exitedAt - seenAt).toBeGreaterThan(3000); // printed before the 4 s cell, not after the run
    expect(stdout).toMatch(/── cell 2 \(c1\): await new Promise[^\n]*\n'?slept'?/);
  }, 60_000);

  it('-f reads parameters from YAML, -p wins over it, and a bad file is refused naming it', () => {
    const nb = toyNotebook([
      { source: "let epochs: number = 20;\nlet model: string = 'lstm';\nlet fast: boolean = false;", tags: ['parameters'] },
      { source: '`${model} × ${epochs} (fast: ${fast})`' },
    ]);
    const dir = tempDir('params-');
    const yaml = join(dir, 'params.yaml');
    writeFileSync(yaml, 'epochs: 7\nmodel: tcn\nfast: true\n');
    const out = join(dir, 'out.ipynb');
    const r = run(['run', nb, '-f', yaml, '-p', 'epochs=9', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(plain(executedCells(out)[2])).toBe('tcn × 9 (fast: true)');
    writeFileSync(yaml, 'epochs: [1, 2]\n');
    const list = run(['run', nb, '-f', yaml]);
    expect(list.status).toBe(2);
    expect(list.stderr).toContain(`${yaml}: parameter epochs must be a number, a string or a boolean, got a list`);
    writeFileSync(yaml, 'epochs: 3\n  model: x: y\n');
    const broken = run(['run', nb, '-f', yaml]);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain(`${yaml}: not valid YAML`);
    writeFileSync(yaml, 'epoch: 3\n');
    const unknown = run(['run', nb, '-f', yaml]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('has no parameter epoch (parameters: epochs, model, fast)');
    const missing = run(['run', nb, '-f', join(dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope.yaml')}: cannot read the parameters file (ENOENT)`);
  }, 120_000);

  it('skips cells tagged skip-ci (or the tags given), and runs them all with --skip-tag \'\'', () => {
    const nb = toyNotebook([
      { source: "'always'" },
      { source: "throw new Error('this cell needs a person at the screen')", tags: ['skip-ci'] },
      { source: "'slow one'", tags: ['slow'] },
    ]);
    const dir = tempDir('skip-');
    const out = join(dir, 'a.ipynb');
    expect(run(['run', nb, '--out', out]).status).toBe(0);
    let cells = executedCells(out);
    expect(cells[1].outputs).toEqual([]);
    expect(cells[1].metadata.gatebook).toMatchObject({ status: 'skipped' });
    expect(plain(cells[2])).toBe('slow one');
    const custom = join(dir, 'b.ipynb');
    expect(run(['run', nb, '--skip-tag', 'slow', '--skip-tag', 'skip-ci', '--out', custom]).status).toBe(0);
    cells = executedCells(custom);
    expect(cells[2].metadata.gatebook).toMatchObject({ status: 'skipped' });
    const all = run(['run', nb, '--skip-tag', '', '--out', join(dir, 'c.ipynb')]);
    expect(all.status).toBe(1);
    expect(all.stderr).toContain('this cell needs a person at the screen');
  }, 120_000);

  it('--cwd sets the kernel\'s working directory; a missing one is refused', () => {
    const nb = toyNotebook([{ source: 'process.cwd()' }]);
    const there = tempDir('cwd-');
    mkdirSync(join(there, 'sub'));
    const out = join(tempDir(), 'cwd.ipynb');
    expect(run(['run', nb, '--cwd', join(there, 'sub'), '--out', out]).status).toBe(0);
    expect(plain(executedCells(out)[0])).toBe(realpathSync(join(there, 'sub')));
    const missing = run(['run', nb, '--cwd', join(there, 'absent')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(join(there, 'absent'));
  }, 60_000);
});
