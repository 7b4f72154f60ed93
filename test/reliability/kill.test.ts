import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { Random } from '../../lib/util/random';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { tinyConfig } from '../helpers/tiny';

/** Start `gatebook pipeline` and kill -9 it after `ms`, or when it reports it paused at a point. */
function killedRun(args: string[], o: { ms?: number; pauseAt?: string }): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, CI: 'true', ...(o.pauseAt ? { GATEBOOK_PAUSE_AT: o.pauseAt } : {}) };
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (child.exitCode === null && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (o.pauseAt && stderr.includes('paused at')) kill();
    });
    const timer = o.ms !== undefined ? setTimeout(kill, o.ms) : null;
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve({ killed, stderr });
    });
  });
}

describe('kill -9 at seeded moments of gatebook pipeline', () => {
  it('never breaks the chain; the rerun resumes and finishes; the test reads counted are the reads that happened', async () => {
    const dir = tempDir();
    const artifacts = join(dir, 'artifacts');
    const ledger = join(artifacts, 'gates.jsonl');
    const args = ['pipeline', '--config', tinyConfig(dir), '--artifacts', artifacts];
    const rng = new Random(2026);
    // 12 moments drawn in time, 10 placed exactly: inside the ledger lock during an append (before the line is
    // written, and after it reached the disk but before the anchor moved), and right after a test read is recorded
    const points = [
      ...Array.from({ length: 12 }, () => ({ ms: 300 + Math.floor(rng.uniform() * 9000) })),
      ...[1, 3, 5, 7, 9, 11].map((n) => ({ pauseAt: `ledger-append:${n}` })),
      ...[2, 6].map((n) => ({ pauseAt: `ledger-anchor:${n}` })),
      { pauseAt: 'test-read' }, { pauseAt: 'test-read' },
    ];
    let killedDuringTestRead = 0;
    for (const point of points) {
      if (point.pauseAt === 'test-read' && killedDuringTestRead === 0) {
        // the timed kills land earlier on a loaded machine: finish the pipeline once (a resume) so the
        // test-read points find finalization's inputs in place and always reach the read
        const resumed = gatebook(args);
        expect([0, 1], resumed.stderr).toContain(resumed.code);
      }
      // the test read happens only when finalization runs: make it run again for those points
      const r = await killedRun(point.pauseAt === 'test-read' ? [...args, '--from', 'finalization', '--force'] : args, point);
      if (r.killed && point.pauseAt === 'test-read') killedDuringTestRead++;
      const state = verifyLedger(ledger);
      expect(state.firstBad, `after a kill at ${JSON.stringify(point)}: ${r.stderr.slice(-300)}`).toBeNull();
      expect(gatebook(['gates', 'verify', '--ledger', ledger]).code).toBe(0);
    }
    expect(killedDuringTestRead).toBe(2);
    const final = gatebook(args);
    expect([0, 1], final.stderr).toContain(final.code); // it runs to the end: finalization is judged on the merits
    const records = verifyLedger(ledger).records;
    expect(records.at(-1)!.gate).toBe('finalization');
    const reads = records.filter((r) => r.gate === 'test_read');
    expect(records.at(-1)!.metrics.test_reads).toBe(reads.length); // every read counted, the killed ones too
    const results = new Set(records.filter((r) => r.gate === 'finalization').map((r) => r.run));
    expect(reads.filter((r) => !results.has(r.run)).length).toBeGreaterThanOrEqual(killedDuringTestRead); // those reads never recorded a result
  }, 600_000);
});
