import type { ValidationReport } from '../data/validate';

/** Human summary of a validation report: a verdict, counts per rule, the first issues. */
export function formatValidation(report: ValidationReport, maxLines = 20): string {
  const verdict = report.ok ? 'ok' : `FAILED: ${report.errors} error(s)`;
  const lines = [
    `${report.source}: ${verdict}`,
    `  rows ${report.rows}, interval ${report.interval ?? 'unknown'}, ${report.start ?? '?'} → ${report.end ?? '?'}`,
    `  gaps ${report.gaps.count} (${report.gaps.missingBars} bar(s) missing, longest ${report.gaps.longestBars})`,
  ];
  const counts = Object.entries(report.counts).map(([rule, n]) => `${rule} ${n}`);
  if (counts.length > 0) lines.push(`  by rule: ${counts.join(', ')}`);
  const errors = report.issues.filter((i) => i.severity === 'error');
  for (const issue of errors.slice(0, maxLines)) lines.push(`  ${issue.message}`);
  if (errors.length > maxLines || report.errors > errors.length) lines.push(`  … ${report.errors - Math.min(maxLines, errors.length)} more error(s)`);
  return lines.join('\n');
}
