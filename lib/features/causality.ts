import type pl from 'nodejs-polars';
import { computeFeatures } from './build';
import { SEED_FEATURES, warmupBars, type FeatureSpec } from './registry';

export interface CausalityViolation {
  feature: string;
  row: number;
  onPrefix: unknown;
  onAll: unknown;
}

export interface CausalityReport {
  rowsChecked: number[];
  features: string[];
  violations: CausalityViolation[];
  ok: boolean;
}

/**
 * A feature is causal when its value at row t is the same whether the data ends at t or
 * goes on. Computes every feature on the data cut after row t and on all of it, for
 * `points` rows spread after the warm-up, and lists each value that differs.
 */
export function checkCausality(
  frame: pl.DataFrame,
  features: readonly FeatureSpec[] = SEED_FEATURES,
  points = 25,
): CausalityReport {
  const full = computeFeatures(frame, features);
  const first = Math.min(warmupBars(features), frame.height - 1);
  const rows = spread(first, frame.height - 1, points);
  const violations: CausalityViolation[] = [];
  for (const row of rows) {
    const prefix = computeFeatures(frame.head(row + 1), features);
    for (const f of features) {
      const onPrefix = valueAt(prefix, f.name, row);
      const onAll = valueAt(full, f.name, row);
      if (!same(onPrefix, onAll)) violations.push({ feature: f.name, row, onPrefix, onAll });
    }
  }
  return { rowsChecked: rows, features: features.map((f) => f.name), violations, ok: violations.length === 0 };
}

/** `count` distinct rows from `from` to `to`, evenly spread, both ends included. */
function spread(from: number, to: number, count: number): number[] {
  if (to <= from) return [Math.max(0, to)];
  const n = Math.min(count, to - from + 1);
  return [...new Set(Array.from({ length: n }, (_, i) => from + Math.round((i * (to - from)) / Math.max(1, n - 1))))];
}

// Series.get() truncates Int64 values in nodejs-polars 0.24; toArray() does not.
function valueAt(frame: pl.DataFrame, column: string, row: number): unknown {
  return frame.getColumn(column).slice(row, 1).toArray()[0];
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}
