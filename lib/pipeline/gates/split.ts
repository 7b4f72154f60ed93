import pl from 'nodejs-polars';
import { z } from 'zod';
import { frameSha256 } from '../../data/dataset';
import { maxDrift } from '../../eval/drift';
import type { RowRange } from '../../split/ranges';
import { saveSplit, splitFile } from '../../split/splitFile';
import { temporalSplit } from '../../split/temporal';
import { defineGate } from '../gate';
import { modelFeatures } from '../modelRun';

/** Gate split: train / val / test in time with the purge between them, checked from the saved ranges; drift reported. */
export const splitGate = defineGate({
  id: 'split', phase: 'planning', title: 'split without overlap, purge respected', requires: ['features'], runbook: 'runbooks/01_planning.md',
  keyMetric: 'train_rows',
  thresholds: z.object({
    min_val_rows: z.number().int().nonnegative().default(500),
    min_test_rows: z.number().int().nonnegative().default(500),
  }).strict(),
  checks: [
    { metric: 'overlap_rows', op: '==', threshold: 0 },
    { metric: 'min_gap_bars', op: '>=', ref: { gate: 'split', metric: 'purge_required' } },
    { metric: 'val_rows', op: '>=', threshold: 'min_val_rows' },
    { metric: 'test_rows', op: '>=', threshold: 'min_test_rows' },
  ],
  run(ctx) {
    const frame = ctx.featureFrame();
    const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
    const split = splitFile(temporalSplit(t, ctx.config.split), frameSha256(frame), frame.height);
    const path = ctx.artifact('split.json');
    saveSplit(path, split);
    const features = modelFeatures(ctx.config);
    const driftVal = maxDrift(frame, split.train, split.val, features);
    const driftTest = maxDrift(frame, split.train, split.test, features);
    return {
      metrics: {
        train_rows: split.train.rows,
        val_rows: split.val.rows,
        test_rows: split.test.rows,
        overlap_rows: overlapRows([split.train, split.val, split.test]),
        min_gap_bars: Math.min(split.val.start - split.train.end, split.test.start - split.val.end),
        purge_bars: split.purgeBars,
        embargo_bars: split.embargoBars,
        purge_required: split.window + split.horizon,
        max_psi_val: driftVal.psi,
        max_psi_test: driftTest.psi,
      },
      artifacts: [path],
      note: `drift (PSI, train → val / test): largest ${driftVal.psi.toFixed(3)} (${driftVal.feature}) / ${driftTest.psi.toFixed(3)} (${driftTest.feature})`,
    };
  },
});

/** Rows that belong to more than one part (0 for a sound split). */
export function overlapRows(parts: RowRange[]): number {
  let overlap = 0;
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      overlap += Math.max(0, Math.min(parts[i].end, parts[j].end) - Math.max(parts[i].start, parts[j].start));
    }
  }
  return overlap;
}
