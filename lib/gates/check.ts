import type { CheckResult } from './record';
import type { Bound, CheckSpec, GateSpec } from './spec';
import { formatNumber, messages } from './messages';

/** A gate's thresholds as configured (`gates.<gate>` of a config, defaults filled in). */
export type Thresholds = Readonly<Record<string, unknown>>;

/** A check that did not hold: what was expected, what was measured, where to read more. */
export interface CheckIssue {
  gate: string;
  metric: string;
  expected: string;
  actual: number | null;
  message: string;
  runbook: string;
}

/** A metric of another gate's latest (non-error) record, or null when there is none. */
export type RefLookup = (gate: string, metric: string) => number | null;

type Resolved = { value: number; source: string } | { value: null; source: string; problem: string };

/**
 * Judge a gate's metrics against its checks: pure, no I/O. Returns one result per check
 * (for the ledger) and one issue per failed check (for people).
 */
export function evaluateChecks(
  spec: GateSpec,
  metrics: Record<string, number | null>,
  thresholds: Thresholds,
  lookup: RefLookup,
): { checks: CheckResult[]; issues: CheckIssue[] } {
  const checks: CheckResult[] = [];
  const issues: CheckIssue[] = [];
  for (const check of spec.checks) {
    const result = evaluateCheck(spec, check, metrics, thresholds, lookup);
    checks.push(result.check);
    if (!result.check.pass) {
      issues.push({
        gate: spec.id,
        metric: check.metric,
        expected: result.expected,
        actual: result.check.value,
        message: (check.why && !result.problem ? `${check.why}: ` : '') + (result.problem ?? messages.failed(spec.id, check.metric, result.expected, result.check.value)),
        runbook: spec.runbook,
      });
    }
  }
  return { checks, issues };
}

function evaluateCheck(
  spec: GateSpec,
  check: CheckSpec,
  metrics: Record<string, number | null>,
  thresholds: Thresholds,
  lookup: RefLookup,
): { check: CheckResult; expected: string; problem?: string } {
  const raw = metrics[check.metric];
  const value = typeof raw === 'number' && !Number.isNaN(raw) ? raw : null;
  if (check.waivedBy && metrics[check.waivedBy] === 1) {
    const source = `waived: ${check.waivedBy} = 1`;
    return { check: { metric: check.metric, op: check.op, threshold: null, source, value, pass: true }, expected: source };
  }
  const bound = (b: Bound): Resolved => {
    if (typeof b === 'number') return { value: b, source: 'fixed' };
    const v = thresholds[b];
    return typeof v !== 'number' ? { value: null, source: `gates.${spec.id}.${b}`, problem: messages.missingThreshold(spec.id, b) } : { value: v, source: `config gates.${spec.id}.${b}` };
  };
  let threshold: CheckResult['threshold'] = null;
  let source: string;
  let problem: string | undefined;
  if (check.op === 'between') {
    const [lo, hi] = (check.threshold as [Bound, Bound]).map(bound);
    source = `${lo.source} .. ${hi.source}`;
    problem = lo.value === null ? (lo as { problem: string }).problem : hi.value === null ? (hi as { problem: string }).problem : undefined;
    if (lo.value !== null && hi.value !== null) threshold = [lo.value, hi.value];
  } else {
    const resolved = check.ref ? resolveRef(spec, check.ref, metrics, bound, lookup) : bound(check.threshold as Bound);
    source = resolved.source;
    if (resolved.value === null) problem = (resolved as { problem: string }).problem;
    else threshold = resolved.value;
  }
  if (value === null && !problem) problem = messages.missingMetric(spec.id, check.metric);
  const pass = !problem && value !== null && threshold !== null && compare(value, check.op, threshold);
  const expected = `${check.op} ${Array.isArray(threshold) ? `[${threshold.map(formatNumber).join(', ')}]` : threshold === null ? '?' : formatNumber(threshold)} (${source})`;
  return { check: { metric: check.metric, op: check.op, threshold, source, value, pass }, expected, problem };
}

function resolveRef(
  spec: GateSpec,
  ref: NonNullable<CheckSpec['ref']>,
  metrics: Record<string, number | null>,
  bound: (b: Bound) => Resolved,
  lookup: RefLookup,
): Resolved {
  const base = ref.gate === spec.id ? (metrics[ref.metric] ?? null) : lookup(ref.gate, ref.metric);
  const offset = ref.offset === undefined ? { value: 0, source: '' } : bound(ref.offset);
  const name = `${ref.gate}.${ref.metric}${ref.offset === undefined ? '' : ` + ${offset.source.replace(/^config /, '')}`}`;
  if (base === null) return { value: null, source: name, problem: messages.missingRef(ref.gate, ref.metric) };
  if (offset.value === null) return offset;
  return { value: base + offset.value, source: name };
}

/** `value op threshold` for one of the gate operators. */
export function compare(value: number, op: string, threshold: number | [number, number]): boolean {
  if (Array.isArray(threshold)) return value >= threshold[0] && value <= threshold[1];
  switch (op) {
    case '>=': return value >= threshold;
    case '<=': return value <= threshold;
    case '>': return value > threshold;
    case '<': return value < threshold;
    case '==': return value === threshold;
    default: throw new Error(`unknown operator ${op}`);
  }
}
