import pl from 'nodejs-polars';
import { frameSha256 } from '../../data/dataset';
import { temporalSplit } from '../../split/temporal';
import { saveSplit, splitFile } from '../../split/splitFile';
import type { RowRange } from '../../split/ranges';
import type { RunContext } from '../context';
import { modelFeatures } from '../../train/experiment';
import { maxDrift } from './drift';
import type { PhaseOutput } from '../phase';

/** Gate split: train / val / test in time with the purge between them, checked from the saved ranges. */
export function splitPhase(ctx: RunContext): PhaseOutput {
  const frame = ctx.featureFrame();
  const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
  const split = splitFile(temporalSplit(t, ctx.config.split), frameSha256(frame), frame.height);
  const path = ctx.artifact('split.json');
  saveSplit(path, split);
  const parts = [split.train, split.val, split.test];
  const features = modelFeatures(ctx.config);
  const driftVal = maxDrift(frame, split, split.val, features);
  const driftTest = maxDrift(frame, split, split.test, features);
  return {
    metrics: {
      train_rows: split.train.rows,
      val_rows: split.val.rows,
      test_rows: split.test.rows,
      overlap_rows: overlapRows(parts),
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
}

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
