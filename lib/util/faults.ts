/**
 * Named points where a test can freeze this process (GATEBOOK_PAUSE_AT=<point>[:<nth>], and
 * GATEBOOK_PAUSE_MS for how long; forever by default) to kill or stop it at an exact moment
 * — inside the ledger lock, right after the test read is recorded — instead of hoping a
 * timer lands there. Nothing happens unless the variable names this point.
 */
const seen = new Map<string, number>();

export function pausePoint(point: string): void {
  const wanted = process.env.GATEBOOK_PAUSE_AT;
  if (!wanted) return;
  const [, name, nth = '1'] = /^(.*?)(?::(\d+))?$/.exec(wanted)!;
  if (name !== point) return;
  const count = (seen.get(point) ?? 0) + 1;
  seen.set(point, count);
  if (count !== Number(nth)) return;
  process.stderr.write(`gatebook: paused at ${point} (pid ${process.pid})\n`);
  const ms = Number(process.env.GATEBOOK_PAUSE_MS ?? Infinity);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number.isFinite(ms) ? ms : undefined); // blocks the whole process, as a frozen VM would
}
