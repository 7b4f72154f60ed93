import pl from 'nodejs-polars';
import type { GateRecord } from '../gates/record';
import type { SplitFile } from '../split/splitFile';
import { baseLayout, iso, type Figure } from './figure';

const PART_COLORS: Record<string, string> = { train: 'rgba(31,119,180,0.08)', val: 'rgba(255,127,14,0.12)', test: 'rgba(44,160,44,0.12)' };

/** The close price with chosen feature columns on a second axis and the split's parts shaded. */
export function priceWithSplits(frame: pl.DataFrame, options: { features?: string[]; split?: Pick<SplitFile, 'train' | 'val' | 'test'>; maxPoints?: number } = {}): Figure {
  const step = Math.max(1, Math.ceil(frame.height / (options.maxPoints ?? 4000)));
  const t = (frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array).filter((_, i) => i % step === 0);
  const x = Array.from(t, iso);
  const column = (name: string) => Array.from((frame.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array).filter((_, i) => i % step === 0));
  const data: Array<Record<string, unknown>> = [{ type: 'scatter', mode: 'lines', name: 'close', x, y: column('close') }];
  for (const f of options.features ?? []) data.push({ type: 'scatter', mode: 'lines', name: f, x, y: column(f), yaxis: 'y2', opacity: 0.7 });
  const shapes = options.split
    ? (['train', 'val', 'test'] as const).map((part) => ({
        type: 'rect', xref: 'x', yref: 'paper', x0: options.split![part].from, x1: options.split![part].to, y0: 0, y1: 1, fillcolor: PART_COLORS[part], line: { width: 0 },
      }))
    : [];
  const annotations = options.split ? (['train', 'val', 'test'] as const).map((part) => ({ x: options.split![part].from, y: 1, yref: 'paper', text: part, showarrow: false, xanchor: 'left' })) : [];
  return { data, layout: baseLayout('Price, features and split', { shapes, annotations, yaxis: { title: { text: 'close' } }, yaxis2: { overlaying: 'y', side: 'right', showgrid: false } }) };
}

/** Histograms of one feature per split part (drift shows as shifted distributions). */
export function featureDistributions(frame: pl.DataFrame, feature: string, split: Pick<SplitFile, 'train' | 'val' | 'test'>): Figure {
  const values = frame.getColumn(feature).cast(pl.Float64).toTypedArray() as Float64Array;
  const data = (['train', 'val', 'test'] as const).map((part) => ({
    type: 'histogram', name: part, x: Array.from(values.subarray(split[part].start, split[part].end)), histnorm: 'probability density', opacity: 0.55,
  }));
  return { data, layout: baseLayout(`${feature} by split`, { barmode: 'overlay', xaxis: { title: { text: feature } }, yaxis: { title: { text: 'density' } } }) };
}

/** Pixels a tick label of the longest name needs. */
export const labelRoom = (labels: string[]) => Math.min(320, 24 + 7 * Math.max(0, ...labels.map((l) => l.length)));

/** Pearson correlations between features as a heatmap. */
export function correlationHeatmap(frame: pl.DataFrame, features: string[]): Figure {
  const cols = features.map((f) => frame.getColumn(f).cast(pl.Float64).toTypedArray() as Float64Array);
  const corr = (a: Float64Array, b: Float64Array) => {
    let ma = 0, mb = 0;
    for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
    ma /= a.length; mb /= b.length;
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
    return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
  };
  const z = cols.map((a) => cols.map((b) => corr(a, b)));
  return {
    data: [{ type: 'heatmap', z, x: features, y: features, zmin: -1, zmax: 1, colorscale: 'RdBu', reversescale: true }],
    // room for the longest feature name on both axes (about 7 px a character at plotly's 12 px font); automargin grows it further if needed
    layout: baseLayout('Feature correlations', {
      width: 850 + labelRoom(features), height: 800 + labelRoom(features), margin: { l: labelRoom(features), b: labelRoom(features), t: 60, r: 30 },
      xaxis: { automargin: true, tickangle: -45 }, yaxis: { autorange: 'reversed', automargin: true },
    }),
  };
}

/** The ledger over time: one marker per gate record, green pass, red fail, grey error. */
export function gateTimeline(records: GateRecord[]): Figure {
  const colors: Record<string, string> = { pass: '#2ca02c', fail: '#d62728', error: '#7f7f7f' };
  return {
    data: (['pass', 'fail', 'error'] as const).map((status) => {
      const rs = records.filter((r) => r.status === status);
      return { type: 'scatter', mode: 'markers', name: status, x: rs.map((r) => r.finished), y: rs.map((r) => r.gate), marker: { color: colors[status], size: 11 }, text: rs.map((r) => r.hash.slice(0, 10)) };
    }),
    layout: baseLayout('Gate timeline', { margin: { l: 110, r: 30, t: 60, b: 50 }, xaxis: { title: { text: 'finished (UTC)' } }, yaxis: { title: { text: 'gate' }, type: 'category' } }),
  };
}
