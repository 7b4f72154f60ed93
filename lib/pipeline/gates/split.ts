import pl from 'nodejs-polars';
import { z } from 'zod';
import { frameSha256 } from '../../data/dataset';
import { maxDrift } from '../../eval/drift';
import type { RowRange } from '../../split/ranges';
import { saveSplit, splitFile } from '../../split/splitFile';
import { partRanges, symbolBlocks, symbolSplit } from '../../split/symbols';
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
    const symbols = frame.getColumn('symbol').toArray() as string[];
    // several symbols: each split on its own rows at the same dates (windows never cross a symbol)
    const parts = symbolBlocks(symbols).length > 1 ? symbolSplit(t, symbols, ctx.config.split) : temporalSplit(t, ctx.config.split);
    const split = splitFile(parts, frameSha256(frame), frame.height);
    const path = ctx.artifact('split.json');
    saveSplit(path, split);
    const features = modelFeatures(ctx.config);
    const [train, val, test] = (['train', 'val', 'test'] as const).map((p) => partRanges(split, p));
    const driftVal = maxDrift(frame, train, val, features);
    const driftTest = maxDrift(frame, train, test, features);
    const gaps = (split.symbols ?? [split]).flatMap((s) => [s.val.start - s.train.end, s.test.start - s.val.end]);
    return {
      metrics: {
        train_rows: split.train.rows,
        val_rows: split.val.rows,
        test_rows: split.test.rows,
        symbols: split.symbols?.length ?? 1,
        overlap_rows: overlapRows([...train, ...val, ...test]),
        min_gap_bars: Math.min(...gaps),
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
