/**
 * The GPU sampler behind the baseline gate's utilization check. This machine has no NVIDIA GPU,
 * so a stand-in prints what `nvidia-smi --query-gpu=utilization.gpu,memory.used -lms N` prints
 * (one "util, MiB" line per interval) and checks it was asked for exactly that; on a GPU box
 * `npm run bench:train` samples the real one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampledWhile, sampleGpu } from '../../lib/backend/gpuUtilization';
import { ROOT, tempDir } from '../helpers/cli';

function standIn(lines: string[]): string {
  const path = join(tempDir(), 'nvidia-smi');
  writeFileSync(path, `#!/usr/bin/env bash
[ "$1 $2 $3 $5 $6" = "--query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms -i 0" ] || { echo "unexpected arguments: $*" >&2; exit 2; }
for line in ${lines.map((l) => `'${l}'`).join(' ')}; do echo "$line"; sleep 0.02; done
exec sleep 30
`);
  chmodSync(path, 0o755);
  return path;
}

describe('GPU sampling', () => {
  it('averages utilization and keeps the most memory used, and stops the sampler', async () => {
    const sampler = sampleGpu(20, standIn(['10, 1000', '80, 3072', '90, 2048']));
    await new Promise((r) => setTimeout(r, 600));
    const started = Date.now();
    expect(await sampler.stop()).toEqual({ samples: 3, meanPercent: 60, maxPercent: 90, memoryUsedGb: 3 });
    expect(Date.now() - started).toBeLessThan(1500); // killed, not waited for
  });

  it('samples while work runs on a GPU, not at all off one, and stops the sampler when the work throws', async () => {
    const pidFile = join(tempDir(), 'pid');
    const tool = standIn(['40, 1024', '50, 2048']);
    writeFileSync(tool, readFileSync(tool, 'utf8').replace('#!/usr/bin/env bash\n', () => `#!/usr/bin/env bash\necho $$ > ${pidFile}\n`));
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const on = await sampledWhile(true, async () => { await wait(500); return 'trained'; }, tool);
    expect(on).toEqual({ result: 'trained', gpu: { samples: 2, meanPercent: 45, maxPercent: 50, memoryUsedGb: 2 } });
    writeFileSync(pidFile, '');
    expect(await sampledWhile(false, async () => 'trained', tool)).toEqual({ result: 'trained', gpu: null });
    expect(readFileSync(pidFile, 'utf8')).toBe(''); // never started
    await expect(sampledWhile(true, async () => { await wait(300); throw new Error('training failed'); }, tool)).rejects.toThrow('training failed');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false); // the stand-in was stopped
  });

  it('gives null without nvidia-smi or without samples', async () => {
    expect(await sampleGpu(20, standIn([])).stop()).toBeNull();
    // without the tool: in a process group of its own (below), so that a regression ends that
    // process, not this test run
    const r = inOwnProcessGroup(`
      const { sampleGpu } = require(${JSON.stringify(join(ROOT, 'dist', 'backend', 'gpuUtilization.js'))});
      sampleGpu(20, ${JSON.stringify(join(tempDir(), 'no-such-tool'))}).stop().then((u) => console.log('stopped:', u));`);
    expect(r).toEqual({ code: 0, signal: null, stdout: 'stopped: null\n' });
  });

  it('stopping a sampler whose tool is missing signals nothing else (Node would signal the whole process group)', () => {
    const missing = JSON.stringify(join(tempDir(), 'no-such-tool'));
    const start = `const c = require('node:child_process').spawn(${missing}, [], { stdio: 'ignore' }); c.on('error', () => {});`;
    // the hazard itself, on this Node: kill() before the spawn's error event is kill(0, SIGTERM)
    expect(inOwnProcessGroup(`${start} c.kill('SIGTERM'); setTimeout(() => console.log('alive'), 300);`).signal).toBe('SIGTERM');
    const guarded = inOwnProcessGroup(`${start}
      const { signalChild } = require(${JSON.stringify(join(ROOT, 'dist', 'util', 'signalChild.js'))});
      console.log('sent:', signalChild(c, 'SIGTERM')); setTimeout(() => console.log('alive'), 300);`);
    expect(guarded).toEqual({ code: 0, signal: null, stdout: 'sent: false\nalive\n' });
  });
});

/** Node running `script` as the leader of a new process group (a signal to its group reaches nothing of the test run). */
function inOwnProcessGroup(script: string): { code: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const r = spawnSync('setsid', ['--wait', process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout };
}
