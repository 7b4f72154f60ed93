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

/**
 * Training progress on a terminal: one bar per run with epoch, batch, loss, the last
 * validation figures, samples/s and ETA; off a terminal, one line per epoch.
 */
export function trainingProgress(label: string): import('../train/loop').TrainCallbacks & { stop: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({
        format: `${label} [{bar}] epoch {epoch} batch {batch} loss {loss} | val loss {valLoss} acc {valAcc} | {rate} samples/s | eta {etaText}`,
        stream: process.stderr, hideCursor: true,
      }, Presets.shades_classic)
    : null;
  let started = false;
  let last = { valLoss: '-', valAcc: '-' };
  return {
    onBatch(p) {
      if (!bar) return;
      const total = p.epochs * p.batches;
      const fields = { epoch: `${p.epoch}/${p.epochs}`, batch: `${p.batch}/${p.batches}`, loss: p.loss.toFixed(4), rate: Math.round(p.samplesPerSecond), etaText: `${Math.round(p.etaSeconds)}s`, ...last };
      if (!started) bar.start(total, 0, fields);
      started = true;
      bar.update((p.epoch - 1) * p.batches + p.batch, fields);
    },
    onEpoch(r, improved) {
      last = { valLoss: r.valLoss.toFixed(4), valAcc: r.valAccuracy.toFixed(4) };
      if (!bar) process.stderr.write(`${label}: epoch ${r.epoch} loss ${r.loss.toFixed(4)} val loss ${r.valLoss.toFixed(4)} val acc ${r.valAccuracy.toFixed(4)} ${Math.round(r.samplesPerSecond)} samples/s${improved ? ' (best so far, checkpoint saved)' : ''}\n`);
    },
    stop: () => started && bar?.stop(),
  };
}
