import { z } from 'zod';
import type { Classifier } from '../models';
import type { PreparedData } from '../tensors/prepare';
import { Random } from '../util/random';
import { bootstrapCI } from './bootstrap';
import { valLabels } from './evaluate';
import { accuracy } from './metrics';

/*
 * The honesty checks' measurements: a model must beat what learned nothing (the best
 * constant, a control trained on shuffled labels), stay under a plausibility ceiling, and
 * hold up across seeds.
 */

/** What a control needs of a trained model: its validation probabilities. */
export type Predictor = Pick<Classifier, 'predictProba' | 'dispose'>;

/** Above these, accuracy or AUC on 15-minute direction means leakage until a person explains it (`gates.finalization.plausible_*`). */
export const PlausibilityCeilings = z.object({
  plausible_accuracy: z.number().min(0).max(1).default(0.65),
  plausible_auc: z.number().min(0).max(1).default(0.7),
});
export type PlausibilityCeilings = z.infer<typeof PlausibilityCeilings>;

/**
 * Accuracy and AUC under the configured ceilings. A person who has explained a result
 * above them raises the ceiling in the experiment's config (its sha256 is in every record)
 * and signs the runbook's manual item; nothing here reads a runbook.
 */
export function plausible(accuracyValue: number, auc: number, ceilings: PlausibilityCeilings): boolean {
  return accuracyValue <= ceilings.plausible_accuracy && !(auc > ceilings.plausible_auc);
}

/**
 * The label-shuffle control for any way of training: `train` gets the data with the
 * training windows' labels shuffled among them (validation labels untouched) and returns
 * the fitted model; its validation accuracy with a block-bootstrap 95 % interval comes back.
 * Nothing but the labels can teach it, so it must land at chance; if it beats every
 * constant prediction, something else carries the labels (a leak).
 */
export async function labelControl(data: PreparedData, seed: number, train: (shuffled: PreparedData) => Promise<Predictor>): Promise<{ accuracy: number; lo: number; hi: number }> {
  const labels = Float32Array.from(data.source.labels);
  const shuffledLabels = new Random(seed).shuffle(Array.from(data.train, (e) => labels[e]));
  data.train.forEach((e, i) => (labels[e] = shuffledLabels[i]));
  // (a trainer that early-stops on a tail of the training windows stops on shuffled labels too)
  const model = await train({ ...data, source: { ...data.source, labels } });
  const p = await model.predictProba(data.source, data.val, data.lastMove);
  model.dispose();
  // a control that learned nothing still predicts in long runs (its near-constant output drifts with the regime) and
  // validation labels come in runs too: resample in ~25 contiguous blocks (at least a window), or its interval is too
  // narrow and chance looks like a leak (measured: an augmented model's control at 0.577 vs 0.551 with i.i.d. resampling)
  const ci = bootstrapCI(accuracy, valLabels(data), p, { seed, samples: 500, block: validationBlock(data) });
  return { accuracy: ci.value, lo: ci.lo, hi: ci.hi };
}

/** The block length of a bootstrap over validation windows: ~25 contiguous blocks, at least a window each. */
export function validationBlock(data: Pick<PreparedData, 'window' | 'val'>): number {
  return Math.max(data.window, Math.ceil(data.val.length / 25));
}

/** The accuracy of the best constant prediction on validation: max(rate, 1 − rate). What a model that learned nothing can reach. */
export function constantAccuracy(data: PreparedData): number {
  const y = valLabels(data);
  const rate = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length);
  return Math.max(rate, 1 - rate);
}

/** 97.5 % quantiles of Student's t for 1 … 19 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093];

/** Seed variance: the mean of per-seed values and the lower bound of its 95 % t-interval (the value itself for one seed). */
export function meanLowerBound(values: number[]): { mean: number; lo: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, lo: mean - (T975[n - 2] * sd) / Math.sqrt(n) };
}
