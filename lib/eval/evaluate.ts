import type { Classifier } from '../models';
import type { PreparedData } from '../tensors/prepare';
import { bootstrapCI } from './bootstrap';
import { calibrationError } from './calibrationError';
import { accuracy, averagePrecision, balancedAccuracy, brier, f1, logLoss, precision, recall, rocAuc, type Labels, type Scores } from './metrics';

export interface EvaluationOptions {
  bins?: number;
  bootstrapSamples?: number;
  seed?: number;
  /** metric name prefix, e.g. "val_" or "test_" */
  prefix?: string;
}

/**
 * Every headline metric of a set of probabilities, with seeded bootstrap 95 % intervals for
 * accuracy and ECE (gates judge the lower bound of accuracy, the upper bound of ECE).
 */
export function evaluateProbabilities(y: Labels, p: Scores, o: EvaluationOptions = {}): Record<string, number> {
  const prefix = o.prefix ?? '';
  const ece = (yy: Labels, pp: Scores) => calibrationError(yy, pp, { bins: o.bins ?? 15 }).ece;
  const boot = { samples: o.bootstrapSamples ?? 500, seed: o.seed ?? 42 };
  const acc = bootstrapCI(accuracy, y, p, boot);
  const cal = bootstrapCI(ece, y, p, boot);
  const ce = calibrationError(y, p, { bins: o.bins ?? 15 });
  const out: Record<string, number> = {
    accuracy: acc.value, accuracy_lo: acc.lo, accuracy_hi: acc.hi,
    balanced_accuracy: balancedAccuracy(y, p), precision: precision(y, p), recall: recall(y, p), f1: f1(y, p),
    roc_auc: rocAuc(y, p), pr_auc: averagePrecision(y, p), log_loss: logLoss(y, p), brier: brier(y, p),
    ece: ce.ece, ece_lo: cal.lo, ece_hi: cal.hi, mce: ce.mce,
    ece_quantile: calibrationError(y, p, { bins: o.bins ?? 15, strategy: 'quantile' }).ece,
    n: y.length,
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** The validation windows' labels. */
export function valLabels(data: PreparedData): number[] {
  return Array.from(data.val, (e) => data.source.labels[e]);
}

/** Share of the windows ending at `ends` (validation by default) whose label the model's probability (> 0.5) gets right. */
export async function accuracyOf(model: Classifier, data: PreparedData, ends = data.val): Promise<number> {
  const p = await model.predictProba(data.source, ends, data.lastMove);
  let hits = 0;
  for (let i = 0; i < ends.length; i++) hits += (p[i] > 0.5 ? 1 : 0) === data.source.labels[ends[i]] ? 1 : 0;
  return hits / Math.max(1, ends.length);
}
