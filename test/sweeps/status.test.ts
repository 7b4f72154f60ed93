import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SweepFile, sweepStatus, type SweepPlan } from '../../lib/sweeps';
import { tempDir } from '../helpers/cli';

/** Where a task stands, from its own files (no scheduler involved). */
function planWith(files: Record<string, unknown>[]): SweepPlan {
  const dir = tempDir('sweep-status-');
  const tasks = files.map((f, index) => {
    const task = { index, id: `t${index}`, overrides: { 'train.seed': index }, dir: join(dir, `t${index}`), config: join(dir, `t${index}`, 'config.yaml') };
    mkdirSync(task.dir, { recursive: true });
    for (const [name, content] of Object.entries(f)) writeFileSync(join(task.dir, name), JSON.stringify(content));
    return task;
  });
  return { name: 's', dir, file: '', base: null, sweep: SweepFile.parse({ name: 's', axes: { 'train.seed': [0, 1, 2, 3] } }), tasks };
}

describe('sweep status from the task files', () => {
  it('done, failed by exit code, running (a live pid), died (a gone pid on this host), pending', () => {
    const gone = spawnSync('true').pid!;
    const started = new Date().toISOString();
    const rows = sweepStatus(planWith([
      { 'exit.json': { code: 0, signal: null, host: 'h', job: null, finished: started } },
      { 'exit.json': { code: 2, signal: null, host: 'h', job: null, finished: started } },
      { 'running.json': { host: hostname(), pid: process.pid, job: null, started } },
      { 'running.json': { host: hostname(), pid: gone, job: null, started } },
      {},
    ]));
    expect(rows.map((r) => r.state)).toEqual(['done', 'failed', 'running', 'failed', 'pending']);
    expect(rows[1].why).toMatch(/exit 2 before any gate failed/);
    expect(rows[3].why).toMatch(new RegExp(`died without an exit status \\(pid ${gone}`));
    expect(rows[4].why).toBe('not submitted');
  });
});
