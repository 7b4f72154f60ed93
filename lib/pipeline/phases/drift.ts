import type pl from 'nodejs-polars';
import { psi } from '../../eval/drift';
import type { SplitFile } from '../../split/splitFile';
import { windowSource } from '../../tensors/windows';

/** The largest PSI of any of `features` between the train part and `part`, and which feature it was. */
export function maxDrift(frame: pl.DataFrame, split: Pick<SplitFile, 'train'>, part: { start: number; end: number }, features: string[]): { psi: number; feature: string } {
  const source = windowSource(frame, features);
  const f = source.features;
  const column = (k: number, range: { start: number; end: number }) =>
    Float64Array.from({ length: range.end - range.start }, (_, r) => source.matrix[(range.start + r) * f + k]);
  let worst = { psi: 0, feature: '' };
  for (let k = 0; k < f; k++) {
    const value = psi(column(k, split.train), column(k, part));
    if (value > worst.psi) worst = { psi: value, feature: features[k] };
  }
  return worst;
}
