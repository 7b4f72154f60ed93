import type { PreparedData } from './prepare';

/**
 * Early stopping without validation: the last `fraction` of the training windows (in time)
 * become the windows training stops on, and the windows before them that end within `gap`
 * bars of the first held-out one are dropped (their labels and bars overlap it). Validation
 * stays untouched, for judging only — selecting epochs on it would let its labels into the
 * model (a head trained on shuffled labels, selected on validation, reached 0.591 there).
 */
export function trainTailHoldout(data: PreparedData, fraction = 0.15, gap = data.window, realRows = data.source.rows): PreparedData {
  // windows appended after the real rows (augmentation) are never held out: they stay in training
  const ends = data.train.filter((e) => e < realRows).sort();
  const extra = data.train.filter((e) => e >= realRows);
  const first = tailStart(ends, fraction);
  if (first === null) return data;
  const head = ends.filter((e) => e < first && e <= first - gap);
  return { ...data, train: Int32Array.from([...head, ...extra]), val: ends.filter((e) => e >= first) };
}

/** The first held-out window end: the start of the last `fraction` of `ends` (sorted); null when that leaves no head or no tail. */
export function tailStart(ends: Int32Array, fraction: number): number | null {
  const cut = Math.floor(ends.length * (1 - fraction));
  return cut < 1 || cut >= ends.length ? null : ends[cut];
}
