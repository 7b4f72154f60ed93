import { z } from 'zod';
import { accuracyOf, valLabels } from '../eval/evaluate';
import { constantAccuracy, labelControl, plausible, type Predictor } from '../eval/honesty';
import { accuracy, f1, rocAuc } from '../eval/metrics';
import type { CheckSpec } from '../gates/spec';
import { MajorityModel, PersistenceModel } from '../models';
import { tailStart, trainTailHoldout } from '../tensors/holdout';
import type { PreparedData } from '../tensors/prepare';
import type { RunContext } from './context';

/*
 * How every model of the gated workflow is judged, in one place: the metrics (judgeModel)
 * and the honesty checks on them (honestyChecks), plus where those models early-stop.
 */

/** The gated workflow's models must beat the majority class on validation by more than this (`gates.<gate>.min_margin_over_majority`). */
export const marginOverMajority = z.number().min(0).max(1).default(0);

/**
 * The honesty checks of a model gate: a model put forward must beat the majority class and
 * the persistence rule on validation; every model — controls included (MiniRocket, the
 * simple LSTM: they may lose to the naive baselines, and the record says so in
 * `beats_majority` / `beats_persistence`) — must have a label-shuffle control that stays at
 * chance and stay under the plausibility ceiling.
 */
export function honestyChecks(gate: string, o: { shuffleControl?: boolean; control?: boolean } = {}): Array<CheckSpec<'min_margin_over_majority'>> {
  return [
    ...(o.control ? [] : [
      { metric: 'val_accuracy', op: '>' as const, ref: { gate, metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' as const } },
      { metric: 'val_accuracy', op: '>=' as const, ref: { gate, metric: 'persistence_val_accuracy' } },
    ]),
    ...(o.shuffleControl === false ? [] : [{
      metric: 'shuffle_val_accuracy_lo', op: '<=' as const, ref: { gate, metric: 'constant_val_accuracy' },
      why: 'leakage suspected: the same model trained on shuffled labels still beat every constant prediction on validation',
    }]),
    {
      metric: 'plausible', op: '==', threshold: 1,
      why: 'too good to be true: validation accuracy or AUC above the plausibility ceiling (gates.finalization.plausible_*) — leakage suspected',
    },
  ];
}

/**
 * What every model gate of the gated workflow records, so the honesty checks apply to all
 * of them: validation accuracy, F1 and AUC from the model's validation probabilities `p`,
 * the majority class and persistence on the same windows, the plausibility ceiling, and
 * (with `retrain`) the label-shuffle control: the same training on shuffled labels.
 */
export async function judgeModel(
  ctx: RunContext, data: PreparedData, p: ArrayLike<number>,
  retrain?: (shuffled: PreparedData) => Promise<Predictor>,
  /** the real training windows the naive baselines learn from (augmentation appends others to `data`) */
  real: PreparedData = data,
): Promise<Record<string, number>> {
  const y = valLabels(data);
  const m: Record<string, number> = {
    val_accuracy: accuracy(y, p),
    val_f1: f1(y, p),
    val_roc_auc: rocAuc(y, p),
    majority_val_accuracy: await accuracyOf(await new MajorityModel().fit(real), real),
    persistence_val_accuracy: await accuracyOf(await new PersistenceModel().fit(real), real),
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
  m.plausible = plausible(m.val_accuracy, m.val_roc_auc, ctx.plausibility()) ? 1 : 0;
  return m;
}

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
