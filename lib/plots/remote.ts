import type { GateRecord } from '../gates/record';
import { baseLayout, type Figure } from './figure';

/**
 * What came home from remote runs: for each gate that recorded `metric` in a fetched record,
 * one bar per remote run (host · run id), failed records in red — the same gate across boxes
 * and runs side by side.
 */
export function remoteRunComparison(records: GateRecord[], metric = 'val_accuracy'): Figure {
  const fetched = records.filter((r) => r.provenance.remote && typeof r.metrics[metric] === 'number');
  const gates = [...new Set(fetched.map((r) => r.gate))];
  const label = (r: GateRecord) => `${r.provenance.remote!.host} · ${r.provenance.remote!.run}`;
  const data = gates.map((gate) => {
    const mine = [...new Map(fetched.filter((r) => r.gate === gate).map((r) => [label(r), r])).values()];
    return {
      type: 'bar', name: gate, x: mine.map(label), y: mine.map((r) => r.metrics[metric]),
      marker: { color: mine.map((r) => (r.status === 'pass' ? undefined : '#d62728')) },
      text: mine.map((r) => (r.metrics[metric] as number).toFixed(3)), textposition: 'outside',
    };
  });
  return { data, layout: baseLayout(`Fetched remote runs by ${metric}`, { barmode: 'group', xaxis: { title: { text: 'host · run' }, type: 'category' }, yaxis: { title: { text: metric } } }) } as Figure;
}
