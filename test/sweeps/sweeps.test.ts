import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { projectFiles } from '../../lib/remote';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { startSlurm, type Slurm } from '../helpers/slurm';
import { startSshd, type Sshd } from '../helpers/sshd';
import { tinyConfig } from '../helpers/tiny';

/**
 * `gatebook sweep` on a real single-node SLURM (munged, slurmctld, slurmd started and
 * stopped here), on two real loopback sshd "boxes", and locally: a grid of tiny pipelines,
 * each task with its own ledger, merged into one verified sweep ledger; a task planted to
 * fail shows its gate and is the only one resubmitted; a tampered task ledger is refused
 * with its task named; the sweep notebook runs on the result.
 */
/** The sweep every executor runs: 4 tasks. */
const GRID = { 'train.seed': [1, 2], 'train.learningRate': [0.001, 0.003] };
let slurm: Slurm;
let boxes: Sshd[] = [];
let home: string;
let env: NodeJS.ProcessEnv;

const gb = (...args: string[]) => gatebook(args, home, env);
type Row = { index: number; id: string; state: string; gate: string | null; host: string | null; value: number | null };
const status = (name: string) => JSON.parse(gb('sweep', 'status', name, '--json').stdout) as Row[];
const ledgerOf = (name: string, id: string) => join(home, 'artifacts', 'sweeps', name, id, 'gates.jsonl');
const records = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

function sweepFile(name: string, axes: Record<string, unknown[]>, extra: Record<string, unknown> = {}): string {
  const path = join(home, `${name}.yaml`);
  writeFileSync(path, stringify({ name, base: 'tiny.yaml', to: 'baseline', axes, metric: 'val_accuracy', slurm: { cpus: 1, time: '00:10:00' }, ...extra }));
  return path;
}

/** Plant a failure: the task's baseline must reach an accuracy no model reaches here. */
function plantFailure(name: string, id: string): () => void {
  const path = join(home, 'artifacts', 'sweeps', name, id, 'config.yaml');
  const original = readFileSync(path, 'utf8');
  const config = parse(original);
  config.gates.baseline.target_val_accuracy = 0.99;
  writeFileSync(path, stringify(config));
  return () => writeFileSync(path, original);
}

async function settle(name: string, seconds = 240): Promise<Row[]> {
  for (let i = 0; i < seconds; i++) {
    const rows = status(name);
    if (rows.every((r) => r.state === 'done' || r.state === 'failed')) return rows;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`sweep ${name} did not settle: ${JSON.stringify(status(name))}`);
}

beforeAll(async () => {
  slurm = await startSlurm(2);
  home = tempDir('sweep-home-');
  for (const f of projectFiles(ROOT)) {
    mkdirSync(join(home, f, '..'), { recursive: true });
    copyFileSync(join(ROOT, f), join(home, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'));
  tinyConfig(home);
  boxes = [await startSshd(slurm.env), await startSshd()]; // box1 is also the cluster's login node: its commands see SLURM_CONF
  const sshConfig = join(home, 'ssh_config');
  writeFileSync(sshConfig, boxes.map((b, i) => `Host box${i + 1}\n  HostName 127.0.0.1\n  Port ${b.port}\n  IdentityFile ${b.clientKey}\n`).join(''));
  const knownHosts = join(home, 'known_hosts');
  writeFileSync(knownHosts, boxes.map((b) => readFileSync(b.knownHosts, 'utf8')).join(''));
  for (const b of boxes) {
    mkdirSync(join(b.dir, 'work'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(b.dir, 'work', 'node_modules'));
  }
  env = { ...process.env, ...slurm.env, GATEBOOK_CONFIG_DIR: tempDir('sweep-config-'), GATEBOOK_SSH_CONFIG: sshConfig, GATEBOOK_KNOWN_HOSTS: knownHosts, SSH_AUTH_SOCK: '' };
}, 120_000);

afterAll(async () => {
  for (const b of boxes) b.stop();
  await slurm?.stop();
});

describe('gatebook sweep', () => {
  it('plans the grid with stable task ids (a hash of the overrides); a bad axis value is named with its task, nothing written', () => {
    const file = sweepFile('grid', { 'train.seed': [1, 2], 'train.learningRate': [0.001, 0.003] });
    const plan = gb('sweep', 'plan', file, '--json');
    expect(plan.code, plan.stderr).toBe(0);
    const tasks = JSON.parse(plan.stdout) as { id: string; overrides: Record<string, unknown> }[];
    expect(tasks.map((t) => t.overrides)).toEqual([
      { 'train.seed': 1, 'train.learningRate': 0.001 }, { 'train.seed': 1, 'train.learningRate': 0.003 },
      { 'train.seed': 2, 'train.learningRate': 0.001 }, { 'train.seed': 2, 'train.learningRate': 0.003 },
    ]);
    const canonical = (o: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));
    expect(tasks.map((t) => t.id)).toEqual(tasks.map((t) => createHash('sha256').update(canonical(t.overrides)).digest('hex').slice(0, 10)));
    const bad = gb('sweep', 'plan', sweepFile('bad', { 'train.learningRate': [0.001, -1] }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/task 1 .*learningRate/s);
    expect(existsSync(join(home, 'artifacts', 'sweeps', 'bad'))).toBe(false);
  });

  it('slurm: an sbatch array runs the tasks; one planted to fail shows its gate; collect merges 4 verified ledgers; resubmit --failed reruns only it', async () => {
    const file = sweepFile('grid', GRID);
    const ids = (JSON.parse(gb('sweep', 'plan', file, '--json').stdout) as { id: string }[]).map((t) => t.id);
    const restore = plantFailure('grid', ids[2]);
    const run = gb('sweep', 'run', file, '--executor', 'slurm');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/submitted 4 task\(s\) of sweep grid to SLURM: job \d+/);
    const script = readFileSync(join(home, 'artifacts', 'sweeps', 'grid', 'sweep.sbatch'), 'utf8');
    expect(script).toMatch(/#SBATCH --array=0-3\n/);
    expect(script).toMatch(/sweep task .* "\$SLURM_ARRAY_TASK_ID"/);
    const rows = await settle('grid');
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'failed', 'done']);
    expect(rows[2].gate).toBe('baseline');
    expect(rows[0].host).toBeTruthy();

    const collect = gb('sweep', 'collect', 'grid');
    expect(collect.code, collect.stdout + collect.stderr).toBe(0);
    expect(collect.stdout).toMatch(/from 4 task ledger\(s\)/);
    const sweepLedger = join(home, 'artifacts', 'sweeps', 'grid', 'gates.jsonl');
    expect(gb('gates', 'verify', '--ledger', sweepLedger).code).toBe(0);
    const merged = records(sweepLedger);
    expect(new Set(merged.map((r) => r.provenance.sweep.task))).toEqual(new Set(ids));
    expect(merged.every((r) => /^\d+_\d$/.test(r.provenance.sweep.job))).toBe(true);
    const best = gb('gates', 'best', '--ledger', sweepLedger, '--metric', 'val_accuracy');
    expect(best.code, best.stderr).toBe(0);
    expect(best.stdout).toMatch(new RegExp(`experiment grid-(${[ids[0], ids[1], ids[3]].join('|')})`));
    expect(readFileSync(join(home, 'artifacts', 'sweeps', 'grid', 'leaderboard.csv'), 'utf8').split('\n')[0]).toBe('rank,task,train.seed,train.learningRate,state,failed_gate,val_accuracy,where');

    restore();
    const others = [0, 1, 3].map((i) => readFileSync(ledgerOf('grid', ids[i]), 'utf8'));
    const again = gb('sweep', 'resubmit', 'grid', '--failed', '--executor', 'slurm');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resubmitting 1 failed task\\(s\\): 2 \\(${ids[2]}\\)`));
    expect((await settle('grid')).map((r) => r.state)).toEqual(['done', 'done', 'done', 'done']);
    expect([0, 1, 3].map((i) => readFileSync(ledgerOf('grid', ids[i]), 'utf8'))).toEqual(others);
    const submissions = JSON.parse(readFileSync(join(home, 'artifacts', 'sweeps', 'grid', 'submissions.json'), 'utf8'));
    expect(submissions.map((s: { indices: number[] }) => s.indices)).toEqual([[0, 1, 2, 3], [2]]);
    expect(gb('sweep', 'collect', 'grid').stdout).toMatch(/\(\d+ already there\)/);
  }, 400_000);

  it('local: the same sweep in a bounded pool; a task ledger tampered with before collect is refused with the task named, the rest merged', async () => {
    const file = sweepFile('pool', GRID);
    const run = gb('sweep', 'run', file, '--executor', 'local', '--parallel', '2');
    expect(run.code, run.stderr).toBe(0);
    const rows = status('pool');
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done']);
    const path = ledgerOf('pool', rows[1].id);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const edited = JSON.parse(lines[3]);
    edited.metrics[Object.keys(edited.metrics)[0]] = 0.999;
    writeFileSync(path, [...lines.slice(0, 3), JSON.stringify(edited), ...lines.slice(4)].join('\n') + '\n');
    const collect = gb('sweep', 'collect', 'pool');
    expect(collect.code).toBe(1);
    expect(collect.stdout).toMatch(new RegExp(`task 1 \\(${rows[1].id}\\) left out: .*line 4: hash does not match`));
    expect(collect.stderr).toMatch(/task 1/);
    const merged = records(join(home, 'artifacts', 'sweeps', 'pool', 'gates.jsonl'));
    expect(new Set(merged.map((r) => r.provenance.sweep.task))).toEqual(new Set([rows[0].id, rows[2].id, rows[3].id]));
  }, 200_000);

  it('ssh: the same sweep spread over two boxes through gatebook remote; their records come home and merge with the host named', async () => {
    const file = sweepFile('boxes', GRID, {
      ssh: { hosts: [{ host: 'box1', workdir: join(boxes[0].dir, 'work') }, { host: 'box2', workdir: join(boxes[1].dir, 'work') }], install: 'never' },
    });
    const run = gb('sweep', 'run', file, '--executor', 'ssh');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = status('boxes');
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(new Set(rows.map((r) => r.host))).toEqual(new Set(['box1', 'box2']));
    const collect = gb('sweep', 'collect', 'boxes');
    expect(collect.code, collect.stdout + collect.stderr).toBe(0);
    const merged = records(join(home, 'artifacts', 'sweeps', 'boxes', 'gates.jsonl'));
    expect(new Set(merged.map((r) => r.provenance.sweep.host))).toEqual(new Set(['box1', 'box2']));
    expect(merged.every((r) => r.provenance.remote?.host === r.provenance.sweep.host)).toBe(true);
    expect(gb('gates', 'verify', '--ledger', join(home, 'artifacts', 'sweeps', 'boxes', 'gates.jsonl')).code).toBe(0);
  }, 200_000);

  it('slurm through a login node over SSH: synced, submitted there, tasks\' ledgers brought home verified; one tampered there is refused by task', async () => {
    const workdir = join(boxes[0].dir, 'work');
    const file = sweepFile('login', { 'train.learningRate': [0.001, 0.003] }, { slurm: { cpus: 1, time: '00:10:00', install: 'never' } });
    const run = gb('sweep', 'run', file, '--executor', 'slurm', '--login', 'box1', '--workdir', workdir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/submitted 2 task\(s\) of sweep login to SLURM on box1: job \d+/);
    expect(existsSync(join(workdir, 'artifacts', 'sweeps', 'login', 'sweep.sbatch'))).toBe(true);
    const rows = await settle('login');
    expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
    const there = join(workdir, 'artifacts', 'sweeps', 'login', rows[1].id, 'gates.jsonl');
    const lines = readFileSync(there, 'utf8').trim().split('\n');
    const edited = JSON.parse(lines[1]);
    edited.duration_s += 1;
    writeFileSync(there, [lines[0], JSON.stringify(edited), ...lines.slice(2)].join('\n') + '\n');
    const collect = gb('sweep', 'collect', 'login');
    expect(collect.code).toBe(1);
    expect(collect.stdout).toMatch(new RegExp(`task 1 \\(${rows[1].id}\\) left out: .*does not verify`));
    const merged = records(join(home, 'artifacts', 'sweeps', 'login', 'gates.jsonl'));
    expect(new Set(merged.map((r) => r.provenance.sweep.task))).toEqual(new Set([rows[0].id]));
    expect(merged.every((r) => r.provenance.remote.host === 'box1' && /^\d+_0$/.test(r.provenance.sweep.job))).toBe(true);
  }, 200_000);

  it('notebooks/22_sweep.ipynb runs headlessly on the grid: plan, status, the metric over the axes with seed intervals', () => {
    const out = join(home, 'out', '22_sweep.executed.ipynb');
    const r = gb('run', join(home, 'notebooks', '22_sweep.ipynb'), '--cwd', home, '--out', out, '-p', 'sweep=grid');
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.stringify(JSON.parse(readFileSync(out, 'utf8')).cells.map((c: { outputs?: unknown[] }) => c.outputs ?? []));
    expect(shown).toContain('train.learningRate');
    expect(shown).toContain('application/vnd.plotly.v1+json');
    expect(shown).toMatch(/mean over train\.seed, 95 % interval/);
  }, 120_000);
});
