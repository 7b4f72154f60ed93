import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../lib/util/lock';

/** The lock's liveness check (a holder on this machine that died leaves a stale lock). */
describe('processAlive', () => {
  it('is true for a living process, false for one that ended and for what is not one pid', () => {
    expect(processAlive(process.pid)).toBe(true);
    const ended = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    expect(processAlive(Number(ended.stdout))).toBe(false);
    // kill(0, 0) and kill(-1, 0) succeed (they ask about process groups): not a holder
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN]) expect(processAlive(pid), String(pid)).toBe(false);
  });
});
