import { validateOhlcv } from '../../data/validate';
import { writeFileAtomic } from '../../util/atomic';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

/** Gate data: the configured dataset, validated; the report is an artifact. */
export function dataPhase(ctx: RunContext): PhaseOutput {
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
}
