import { calibrationError } from '../eval/calibrationError';
import { confusion, type Labels, type Scores } from '../eval/metrics';
import { baseLayout, type Figure } from './figure';

/** The confusion matrix as a heatmap with counts (rows: actual, columns: predicted). */
export function confusionMatrix(y: Labels, p: Scores, threshold = 0.5): Figure {
  const c = confusion(y, p, threshold);
  const z = [[c.tn, c.fp], [c.fn, c.tp]];
  return {
    data: [{ type: 'heatmap', z, x: ['predicted 0', 'predicted 1'], y: ['actual 0', 'actual 1'], colorscale: 'Blues', text: z.map((r) => r.map(String)), texttemplate: '%{text}', showscale: false }],
    layout: baseLayout(`Confusion matrix (threshold ${threshold})`, { width: 520, height: 450, yaxis: { autorange: 'reversed' } }),
  };
}

/** ROC curve points: (false positive rate, true positive rate) at every distinct threshold. */
export function rocPoints(y: Labels, p: Scores): { fpr: number[]; tpr: number[] } {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  const neg = y.length - pos;
  const fpr = [0];
  const tpr = [0];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
    for (let k = i; k <= j; k++) (y[order[k]] === 1 ? tp++ : fp++);
    fpr.push(neg ? fp / neg : 0);
    tpr.push(pos ? tp / pos : 0);
    i = j + 1;
  }
  return { fpr, tpr };
}

export function rocCurve(y: Labels, p: Scores, auc?: number): Figure {
  const { fpr, tpr } = rocPoints(y, p);
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: `model${auc === undefined ? '' : ` (AUC ${auc.toFixed(3)})`}`, x: fpr, y: tpr },
      { type: 'scatter', mode: 'lines', name: 'chance', x: [0, 1], y: [0, 1], line: { dash: 'dash', color: 'gray' } },
    ],
    layout: baseLayout('ROC curve', { width: 600, height: 550, xaxis: { title: { text: 'false positive rate' }, range: [0, 1] }, yaxis: { title: { text: 'true positive rate' }, range: [0, 1] } }),
  };
}

/** Precision–recall curve at every distinct threshold, with the positive rate as the chance line. */
export function prCurve(y: Labels, p: Scores): Figure {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
    for (let k = i; k <= j; k++) tp += y[order[k]];
    recall.push(pos ? tp / pos : 0);
    precision.push(tp / (j + 1));
    i = j + 1;
  }
  const base = pos / Math.max(1, y.length);
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'model', x: recall, y: precision },
      { type: 'scatter', mode: 'lines', name: 'chance', x: [0, 1], y: [base, base], line: { dash: 'dash', color: 'gray' } },
    ],
    layout: baseLayout('Precision–recall curve', { width: 600, height: 550, xaxis: { title: { text: 'recall' }, range: [0, 1] }, yaxis: { title: { text: 'precision' }, range: [0, 1] } }),
  };
}

/**
 * Reliability diagram: fraction of positives against mean predicted probability per bin
 * (the diagonal is perfect calibration), with the histogram of predictions below. Several
 * sets of probabilities (before / after calibration) share the axes.
 */
export function reliabilityDiagram(y: Labels, sets: Record<string, Scores>, bins = 15): Figure {
  const data: Array<Record<string, unknown>> = [{ type: 'scatter', mode: 'lines', name: 'perfect', x: [0, 1], y: [0, 1], line: { dash: 'dash', color: 'gray' } }];
  for (const [name, p] of Object.entries(sets)) {
    const ce = calibrationError(y, p, { bins });
    data.push({ type: 'scatter', mode: 'lines+markers', name: `${name} (ECE ${ce.ece.toFixed(3)})`, x: ce.bins.map((b) => b.meanPredicted), y: ce.bins.map((b) => b.fractionPositive) });
    data.push({ type: 'histogram', name: `${name}: predictions`, x: Array.from(p), xbins: { start: 0, end: 1, size: 1 / bins }, yaxis: 'y2', opacity: 0.5, showlegend: false });
  }
  return {
    data,
    layout: baseLayout(Object.keys(sets).length > 1 ? 'Calibration before / after' : 'Reliability diagram', {
      width: 650, height: 650,
      xaxis: { title: { text: 'mean predicted probability' }, range: [0, 1] },
      yaxis: { title: { text: 'fraction of positives' }, range: [0, 1], domain: [0.3, 1] },
      yaxis2: { title: { text: 'count' }, domain: [0, 0.22], anchor: 'x' },
    }),
  };
}
