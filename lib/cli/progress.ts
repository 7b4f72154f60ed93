import { SingleBar, Presets } from 'cli-progress';

/**
 * Progress of long work on stderr: a live bar on a terminal; elsewhere (CI logs, pipes)
 * one line at each quarter, so logs stay short.
 */
export function progress(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta}s`, stream: process.stderr }, Presets.shades_classic);
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastQuarter = -1;
  return {
    update(done, total) {
      const quarter = Math.floor((4 * done) / Math.max(1, total));
      if (quarter > lastQuarter) process.stderr.write(`${label}: ${done}/${total}\n`);
      lastQuarter = quarter;
    },
    stop: () => {},
  };
}
