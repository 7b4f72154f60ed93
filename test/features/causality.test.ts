import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../lib/data/synthetic';
import { checkCausality } from '../../lib/features/causality';
import { SEED_FEATURES, type FeatureSpec } from '../../lib/features/registry';

const frame = generateSynthetic({ interval: '15m', bars: 3000, seed: 8 });

describe('causality check', () => {
  it('holds for every seed feature at many rows', () => {
    const report = checkCausality(frame, SEED_FEATURES, 30);
    expect(report.rowsChecked.length).toBe(30);
    expect(report.features.length).toBe(34);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('catches a feature that reads the next bar, and names it', () => {
    const leak: FeatureSpec = {
      name: 'next_close_ratio', kind: 'numeric', group: 'custom', lookback: 1,
      expr: () => pl.col('close').shift(-1).div(pl.col('close')),
    };
    const report = checkCausality(frame, [...SEED_FEATURES, leak], 10);
    expect(report.ok).toBe(false);
    expect(new Set(report.violations.map((v) => v.feature))).toEqual(new Set(['next_close_ratio']));
    expect(report.violations[0].onPrefix).toBeNull(); // on the cut data the next bar does not exist
  });

  it('catches subtler leaks: a centered window and a whole-series normalization', () => {
    const centered: FeatureSpec = {
      name: 'centered_mean', kind: 'numeric', group: 'custom', lookback: 5,
      expr: () => pl.col('close').rollingMean({ windowSize: 5, center: true }),
    };
    const zscore: FeatureSpec = {
      name: 'global_z', kind: 'numeric', group: 'custom', lookback: 1,
      expr: () => pl.col('close').minus(pl.col('close').mean()).div(pl.col('close').std()),
    };
    const report = checkCausality(frame, [centered, zscore], 10);
    expect(new Set(report.violations.map((v) => v.feature))).toEqual(new Set(['centered_mean', 'global_z']));
  });
});
