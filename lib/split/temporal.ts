import type { z } from 'zod';
import { InputError } from '../util/errors';
import { SplitOptions } from './options';
import { rowRange, type RowRange } from './ranges';

export interface TemporalSplit {
  train: RowRange;
  val: RowRange;
  test: RowRange;
  purgeBars: number;
  embargoBars: number;
  window: number;
  horizon: number;
}

/** The purge asked for, or window + horizon; less than that is refused. */
export function resolvePurge(o: { purgeBars?: number; window: number; horizon: number }): number {
  const minimum = o.window + o.horizon;
  const purge = o.purgeBars ?? minimum;
  if (purge < minimum) {
    throw new InputError(`split: purgeBars ${purge} is less than window + horizon = ${o.window} + ${o.horizon} = ${minimum}; raise it to at least ${minimum}`);
  }
  return purge;
}

/**
 * Train / val / test in time order, by fractions of the rows or by start dates, with
 * purge + embargo bars left out between consecutive parts.
 */
export function temporalSplit(timestamps: ArrayLike<number>, options: SplitOptions = {}): TemporalSplit {
  const o = SplitOptions.parse(options);
  const purge = resolvePurge(o);
  const skip = purge + o.embargoBars;
  const n = timestamps.length;
  const [trainEnd, valEnd] = o.method === 'date' ? boundariesByDate(timestamps, o) : boundariesByFraction(n, o);
  const parts = {
    train: rowRange(0, trainEnd, timestamps),
    val: rowRange(trainEnd + skip, valEnd, timestamps),
    test: rowRange(valEnd + skip, n, timestamps),
  };
  for (const [name, part] of Object.entries(parts)) {
    if (part.rows <= 0) {
      throw new InputError(`split: the ${name} part is empty (${n} rows, purge ${purge} + embargo ${o.embargoBars} bars between parts); use more data or smaller gaps`);
    }
  }
  return { ...parts, purgeBars: purge, embargoBars: o.embargoBars, window: o.window, horizon: o.horizon };
}

function boundariesByFraction(n: number, o: z.infer<typeof SplitOptions>): [number, number] {
  if (o.train + o.val >= 1) throw new InputError(`split: train ${o.train} + val ${o.val} must leave room for test (sum < 1)`);
  return [Math.floor(n * o.train), Math.floor(n * (o.train + o.val))];
}

function boundariesByDate(t: ArrayLike<number>, o: z.infer<typeof SplitOptions>): [number, number] {
  if (!o.valStart || !o.testStart) throw new InputError('split: method "date" needs valStart and testStart (ISO dates)');
  const valStart = Date.parse(o.valStart);
  const testStart = Date.parse(o.testStart);
  if (!(testStart > valStart)) throw new InputError(`split: testStart ${o.testStart} must come after valStart ${o.valStart}`);
  return [firstAtOrAfter(t, valStart), firstAtOrAfter(t, testStart)];
}

function firstAtOrAfter(t: ArrayLike<number>, time: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
