import { accuracy, f1, rocAuc } from '../../eval/metrics';
import type { Classifier, PreparedData } from '../../models/classifier';
import { MajorityModel, PersistenceModel } from '../../models/naive';
import { accuracyOf, constantAccuracy, labelControl, valLabels } from '../../train/experiment';
import type { RunContext } from '../context';
import { plausible } from './signoff';
import { tailStart, trainTailHoldout } from '../../tensors/holdout';

/** Share of the training windows (the latest) that the gated workflow's models early-stop on. */
export const EARLY_STOP_TAIL = 0.15;

/**
 * What a gated model fits on: epochs chosen on a tail of the training windows purged by
 * window + horizon (validation only judges). `realRows`: where appended augmented rows begin.
 */
export function fitOnTrainTail(ctx: RunContext, data: PreparedData, realRows = data.source.rows): PreparedData {
  return trainTailHoldout(data, EARLY_STOP_TAIL, data.window + ctx.config.features.horizon, realRows);
}

/** The last training window end before that tail and its purge (all of them when there is no tail). */
export function lastEndBeforeTail(ctx: RunContext, data: PreparedData): number {
  const first = tailStart(data.train, EARLY_STOP_TAIL);
  return first === null ? Infinity : first - data.window - ctx.config.features.horizon;
}

/**
 * What every model gate of the gated workflow records, so the honesty checks apply to all
 * of them: validation accuracy, F1 and AUC from the model's validation probabilities `p`,
 * the majority class and persistence on the same windows, the plausibility ceiling, and
 * (with `retrain`) the label-shuffle control: the same training on shuffled labels.
 */
export async function judgedMetrics(
  ctx: RunContext, data: PreparedData, p: ArrayLike<number>,
  retrain?: (shuffled: PreparedData) => Promise<Classifier>,
  /** the real training windows the naive baselines learn from (augmentation appends others to `data`) */
  real: PreparedData = data,
): Promise<Record<string, number>> {
  const y = valLabels(data);
  const m: Record<string, number> = {
    val_accuracy: accuracy(y, p),
    val_f1: f1(y, p),
    val_roc_auc: rocAuc(y, p),
    majority_val_accuracy: accuracyOf(await new MajorityModel().fit(real), real),
    persistence_val_accuracy: accuracyOf(await new PersistenceModel().fit(), real),
    constant_val_accuracy: constantAccuracy(real),
    train_windows: data.train.length,
    val_windows: data.val.length,
  };
  if (retrain) {
    ctx.log('    label-shuffle control: the same training on shuffled labels');
    const control = await labelControl(data, ctx.config.seed + 1, retrain);
    m.shuffle_val_accuracy = control.accuracy;
    m.shuffle_val_accuracy_lo = control.lo;
  }
  m.beats_majority = m.val_accuracy > m.majority_val_accuracy ? 1 : 0;
  m.beats_persistence = m.val_accuracy >= m.persistence_val_accuracy ? 1 : 0;
  m.plausible = plausible(m.val_accuracy, m.val_roc_auc, ctx.config.gates.finalization) ? 1 : 0;
  return m;
}
