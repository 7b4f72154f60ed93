import { randomUUID } from 'node:crypto';
import { display } from '../kernel/display';
import type { EpochRecord, TrainCallbacks } from '../train/loop';

/**
 * Training progress inside a notebook: one output that updates in place
 * (update_display_data): epoch, batch, loss, the last validation figures, samples/s and
 * ETA, then a table of the epochs so far. Batch updates are throttled to `everyMs`.
 */
export function notebookProgress(label = 'training', everyMs = 500): TrainCallbacks {
  const displayId = randomUUID();
  const epochs: EpochRecord[] = [];
  let shown = false;
  let last = 0;
  const render = (line: string) => {
    const rows = epochs.map((e) => `| ${e.epoch} | ${e.loss.toFixed(4)} | ${e.valLoss.toFixed(4)} | ${e.valAccuracy.toFixed(4)} | ${Math.round(e.samplesPerSecond)} |`);
    const table = rows.length ? `\n\n| epoch | loss | val loss | val acc | samples/s |\n|---|---|---|---|---|\n${rows.join('\n')}` : '';
    display({ toMimeBundle: () => ({ 'text/markdown': `**${label}** ${line}${table}`, 'text/plain': `${label} ${line}` }) }, { displayId, update: shown });
    shown = true;
  };
  return {
    onBatch(p) {
      const now = Date.now();
      if (now - last < everyMs && p.batch !== p.batches) return;
      last = now;
      render(`epoch ${p.epoch}/${p.epochs}, batch ${p.batch}/${p.batches}, loss ${p.loss.toFixed(4)}, ${Math.round(p.samplesPerSecond)} samples/s, ETA ${Math.round(p.etaSeconds)} s`);
    },
    onEpoch(record, improved) {
      epochs.push(record);
      render(`epoch ${record.epoch} done: val loss ${record.valLoss.toFixed(4)}, val acc ${record.valAccuracy.toFixed(4)}${improved ? ' (best so far)' : ''}`);
    },
    onEnd(how) {
      render(`${how} after ${epochs.length} epoch(s)`);
    },
  };
}
