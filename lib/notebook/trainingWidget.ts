import { comms } from '../kernel/comms';
import { button, hbox, html, progressBar, vbox } from '../kernel/widgets';
import type { TrainCallbacks, TrainProgress } from '../train/loop';
import { requestCancel } from '../util/cancel';

const escape = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/**
 * A live training widget (Jupyter widgets over comms): a progress bar over all batches of
 * all epochs, a line with epoch, batch, losses, samples/s and ETA that updates in place, and
 * a Stop button. Stop cancels the training exactly as an interrupt does — the loop stops at
 * its next batch and the gate is recorded as `error: interrupted`, never as a pass. Needs a
 * frontend with the widget JavaScript (see widgetsAvailable); updates are throttled to `everyMs`.
 */
export function trainingWidget(label: string, everyMs = 250): TrainCallbacks {
  const manager = comms();
  if (!manager) throw new Error('trainingWidget needs the gatebook kernel');
  const bar = progressBar(manager, { description: label.slice(0, 20), max: 1000 });
  const info = html(manager, `<b>${escape(label)}</b>: starting…`);
  const stop = button(manager, 'Stop', 'danger');
  vbox(manager, [hbox(manager, [bar, stop]), info]).show();
  let stopping = false;
  stop.onCustom((content) => {
    if (content.event !== 'click' || stopping) return;
    stopping = true;
    stop.set({ description: 'Stopping…', disabled: true });
    requestCancel(`the Stop button of ${label}`);
  });
  let last = 0;
  let lastEpochLine = '';
  const show = (p: TrainProgress, force = false) => {
    const now = Date.now();
    if (!force && now - last < everyMs) return;
    last = now;
    const done = ((p.epoch - 1) * p.batches + p.batch) / (p.epochs * p.batches);
    bar.set({ value: Math.round(1000 * Math.min(1, done)) });
    info.set({
      value: `<b>${escape(label)}</b>: epoch ${p.epoch}/${p.epochs}, batch ${p.batch}/${p.batches}, loss ${p.loss.toFixed(4)}, ` +
        `${Math.round(p.samplesPerSecond)} samples/s, ETA ${Math.max(0, Math.round(p.etaSeconds))} s${lastEpochLine}`,
    });
  };
  return {
    onBatch: (p) => show(p),
    onEpoch: (r, improved, p) => {
      lastEpochLine = `<br/>last epoch ${r.epoch}: val loss ${r.valLoss.toFixed(4)}, val acc ${r.valAccuracy.toFixed(4)}${improved ? ' (best so far)' : ''}`;
      show(p, true);
    },
    onEnd: (how) => {
      const style = how === 'finished' || how === 'stopped early' ? 'success' : how === 'interrupted' ? 'warning' : 'danger';
      bar.set({ bar_style: style, ...(style === 'success' ? { value: 1000 } : {}) });
      stop.set({ description: how === 'interrupted' ? 'Stopped' : 'Done', disabled: true });
      info.set({ value: `<b>${escape(label)}</b>: ${how}${lastEpochLine}` });
    },
  };
}
