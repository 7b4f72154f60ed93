import type { GateRecord } from '../gates/record';
import { baseLayout, type Figure } from './figure';

/**
 * The models of a ledger side by side: one bar per gate that recorded `metric` (its latest
 * record; failed gates in red), with the majority-class accuracy as a dashed line when the
 * metric is an accuracy.
 */
export function modelComparison(records: GateRecord[], metric = 'val_f1'): Figure {
  const latest = [...new Map(records.map((r) => [r.gate, r])).values()].filter((r) => typeof r.metrics[metric] === 'number');
  const bars = {
    type: 'bar', name: metric, x: latest.map((r) => r.gate), y: latest.map((r) => r.metrics[metric]),
    marker: { color: latest.map((r) => (r.status === 'pass' ? '#1f77b4' : '#d62728')) },
    text: latest.map((r) => (r.metrics[metric] as number).toFixed(3)), textposition: 'outside',
  };
  const majority = latest.map((r) => r.metrics.majority_val_accuracy).find((v) => typeof v === 'number');
  const data: unknown[] = [bars];
  if (metric.includes('accuracy') && typeof majority === 'number') {
    data.push({ type: 'scatter', mode: 'lines', name: 'majority class', x: latest.map((r) => r.gate), y: latest.map(() => majority), line: { dash: 'dash', color: '#7f7f7f' } });
  }
  return { data, layout: baseLayout(`Models by ${metric} (validation)`, { xaxis: { title: { text: 'gate' }, type: 'category' }, yaxis: { title: { text: metric } } }) } as Figure;
}
