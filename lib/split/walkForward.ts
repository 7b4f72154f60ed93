import { InputError } from '../util/errors';
import { WalkForwardOptions } from './options';
import { rowRange, type RowRange } from './ranges';
import { resolvePurge } from './temporal';

export interface Fold {
  index: number;
  train: RowRange;
  test: RowRange;
}

/**
 * Walk-forward folds: the rows after the initial training span are cut into `folds`
 * consecutive test blocks; each trains on what precedes its block (expanding) or on a
 * fixed-length span just before it (rolling), purge + embargo bars left out in between.
 */
export function walkForward(timestamps: ArrayLike<number>, options: WalkForwardOptions = {}): Fold[] {
  const o = WalkForwardOptions.parse(options);
  const skip = resolvePurge(o) + o.embargoBars;
  const n = timestamps.length;
  const trainSize = Math.floor(n * o.initialTrain);
  const block = Math.floor((n - trainSize - skip) / o.folds);
  if (block < 1) throw new InputError(`walk-forward: ${n} rows cannot hold ${o.folds} test block(s) after ${trainSize} training rows and ${skip} gap bars`);
  return Array.from({ length: o.folds }, (_, index) => {
    const testStart = trainSize + skip + index * block;
    const testEnd = index === o.folds - 1 ? n : testStart + block;
    const trainEnd = testStart - skip;
    const trainStart = o.mode === 'expanding' ? 0 : Math.max(0, trainEnd - trainSize);
    return { index, train: rowRange(trainStart, trainEnd, timestamps), test: rowRange(testStart, testEnd, timestamps) };
  });
}
