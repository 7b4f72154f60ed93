import { z } from 'zod';
import { validateOhlcv } from '../../data/validate';
import { writeFileAtomic } from '../../util/atomic';
import { defineGate } from '../gate';

/** Gate data: the configured dataset, validated; the report is an artifact. */
export const dataGate = defineGate({
  id: 'data', phase: 'planning', title: 'data validated', requires: ['env'], runbook: 'runbooks/01_planning.md',
  keyMetric: 'rows',
  thresholds: z.object({
    min_rows: z.number().int().nonnegative().default(5000),
    max_errors: z.number().int().nonnegative().default(0),
  }).strict(),
  checks: [
    { metric: 'errors', op: '<=', threshold: 'max_errors' },
    { metric: 'rows', op: '>=', threshold: 'min_rows' },
  ],
  run(ctx) {
    const data = ctx.data();
    const report = validateOhlcv(data.frame, { source: data.source });
    const path = ctx.artifact('data/validation.json');
    writeFileAtomic(path, JSON.stringify(report, null, 2) + '\n');
    const firstError = report.issues.find((i) => i.severity === 'error');
    return {
      metrics: {
        rows: report.rows,
        errors: report.errors,
        warnings: report.warnings,
        gaps: report.gaps.count,
        longest_gap_bars: report.gaps.longestBars,
        interval_minutes: report.intervalMs === null ? null : report.intervalMs / 60_000,
      },
      artifacts: [path],
      note: firstError ? `first error: ${firstError.message}` : undefined,
    };
  },
});
