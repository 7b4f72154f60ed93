import type { GateRecord } from '../gates/record';
import { baseLayout, type Figure } from './figure';

/**
 * A gate over several symbols, symbol by symbol: each symbol's test accuracy (blue where the
 * symbol passed, red where it failed) beside the majority class on the same windows, with
 * the rule k of n in the title — from the gate's latest run in `records`.
 */
export function symbolComparison(records: GateRecord[], gate: string, metric = 'test_accuracy'): Figure {
  const own = records.filter((r) => r.gate === gate && r.symbol === undefined).at(-1);
  const rows = own ? records.filter((r) => r.gate === gate && r.symbol !== undefined && r.run === own.run) : [];
  const symbols = rows.map((r) => r.symbol!);
  const k = own?.checks.find((c) => c.metric === 'symbols_passed')?.threshold;
  const passed = rows.filter((r) => r.status === 'pass').length;
  const data = [
    {
      type: 'bar', name: metric, x: symbols, y: rows.map((r) => r.metrics[metric] ?? null),
      marker: { color: rows.map((r) => (r.status === 'pass' ? '#1f77b4' : '#d62728')) },
      text: rows.map((r) => `${(r.metrics[metric] ?? NaN).toFixed(3)} ${r.status}`), textposition: 'outside',
    },
    { type: 'bar', name: 'majority class', x: symbols, y: rows.map((r) => r.metrics[`majority_${metric}`] ?? null), marker: { color: '#c7c7c7' } },
  ];
  const title = own ? `${gate}: ${passed} of ${rows.length} symbols passed (needs ${typeof k === 'number' ? k : '?'})` : `${gate}: no record yet`;
  return { data, layout: baseLayout(title, { barmode: 'group', xaxis: { title: { text: 'symbol' }, type: 'category' }, yaxis: { title: { text: metric } } }) } as Figure;
}
