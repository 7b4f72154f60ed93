import type { GateRecord } from '../gates/record';
import { baseLayout, type Figure } from './figure';

/**
 * A sweep's metric over its axes, from the merged sweep ledger: the x axis is the first
 * axis that is not a seed (`…seed`), one line per combination of the other non-seed axes,
 * each point the mean over the seed axes' tasks with a 95 % interval (t, n − 1 degrees of
 * freedom) as its error bar — the seed variance the choice has to beat.
 */
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

export function sweepPlot(records: GateRecord[], metric = 'val_accuracy'): Figure {
  const byTask = new Map<string, { overrides: Record<string, unknown>; value: number }>();
  for (const r of records) {
    const s = r.provenance.sweep;
    if (s && r.status === 'pass' && typeof r.metrics[metric] === 'number') byTask.set(s.task, { overrides: s.overrides, value: r.metrics[metric] as number });
  }
  const tasks = [...byTask.values()];
  const axes = [...new Set(tasks.flatMap((t) => Object.keys(t.overrides)))];
  const seeds = axes.filter((a) => /seed$/i.test(a));
  const [x, ...others] = axes.filter((a) => !seeds.includes(a));
  const key = (t: { overrides: Record<string, unknown> }, names: string[]) => names.map((n) => `${n}=${t.overrides[n]}`).join(', ');
  const lines = new Map<string, Map<string, number[]>>();
  for (const t of tasks) {
    const line = lines.get(key(t, others)) ?? new Map<string, number[]>();
    const at = String(x ? t.overrides[x] : 'all');
    line.set(at, [...(line.get(at) ?? []), t.value]);
    lines.set(key(t, others), line);
  }
  const data = [...lines].map(([name, points]) => {
    const xs = [...points.keys()];
    const stats = xs.map((k) => meanInterval(points.get(k)!));
    return {
      type: 'scatter', mode: 'lines+markers', name: name || metric, x: xs, y: stats.map((s) => s.mean),
      error_y: { type: 'data', array: stats.map((s) => s.half), visible: stats.some((s) => s.half > 0) },
      text: stats.map((s) => `n = ${s.n}`),
    };
  });
  const title = `${metric} over ${x ?? 'the sweep'}${seeds.length ? ` (mean over ${seeds.join(', ')}, 95 % interval)` : ''}`;
  return { data, layout: baseLayout(title, { xaxis: { title: { text: x ?? '' }, type: 'category' }, yaxis: { title: { text: metric } } }) } as Figure;
}

function meanInterval(values: number[]): { mean: number; half: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: 0, n };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, half: (T95[n - 1] ?? 1.96) * (sd / Math.sqrt(n)), n };
}
