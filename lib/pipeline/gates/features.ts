import pl from 'nodejs-polars';
import { z } from 'zod';
import { saveDataset } from '../../data/dataset';
import { buildFeatures } from '../../features/build';
import { checkCausality } from '../../features/causality';
import { PLANTED_LEAK, SEED_FEATURES } from '../../features/registry';
import { defineGate } from '../gate';

/** Gate features: the seed features and label, proven causal, with no NaN after warm-up. */
export const featuresGate = defineGate({
  id: 'features', phase: 'planning', title: 'features causal, complete and balanced', requires: ['data'], runbook: 'runbooks/01_planning.md',
  keyMetric: 'positive_rate',
  thresholds: z.object({
    min_positive_rate: z.number().min(0).max(1).default(0.3),
    max_positive_rate: z.number().min(0).max(1).default(0.7),
  }).strict(),
  checks: [
    { metric: 'causality_violations', op: '==', threshold: 0, why: 'leakage: a feature reads bars after its row' },
    { metric: 'non_finite_after_warmup', op: '==', threshold: 0 },
    { metric: 'positive_rate', op: 'between', threshold: ['min_positive_rate', 'max_positive_rate'] },
  ],
  run(ctx) {
    const { frame } = ctx.data();
    const { causalityPoints, plantLeak, ...label } = ctx.config.features;
    const features = plantLeak ? [...SEED_FEATURES, PLANTED_LEAK] : SEED_FEATURES;
    const causality = checkCausality(frame, features, causalityPoints);
    const built = buildFeatures(frame, { ...label, features });
    const path = ctx.artifact('features.parquet');
    saveDataset(built.frame, path, { step: 'features', ...label });
    ctx.setFeatures(built.frame);
    const nonFinite = built.frame.select(
      pl.sumHorizontal(built.numericFeatures.map((c) => pl.col(c).isNull().or(pl.col(c).isNan().or(pl.col(c).isInfinite())).cast(pl.Int32))).sum().alias('n'),
    ).getColumn('n').toArray()[0] as number;
    const v = causality.violations[0];
    return {
      metrics: {
        rows: built.frame.height,
        numeric_features: built.numericFeatures.length,
        categorical_features: built.categoricalFeatures.length,
        causality_violations: causality.violations.length,
        causality_rows_checked: causality.rowsChecked.length,
        non_finite_after_warmup: nonFinite,
        positive_rate: built.frame.getColumn('label').mean() as number,
        horizon: label.horizon,
        window: ctx.config.split.window,
        warmup_bars: built.warmupBars,
      },
      artifacts: [path],
      note: v ? `causality violated: ${v.feature} at row ${v.row} is ${v.onPrefix} on data cut there, ${v.onAll} on all data` : undefined,
    };
  },
});
