import { join } from 'node:path';
import { z } from 'zod';
import { bootstrapCI } from '../../eval/bootstrap';
import { crossFitCalibrated, fitCalibrator } from '../../eval/calibrate';
import { calibrationError } from '../../eval/calibrationError';
import { valLabels } from '../../eval/evaluate';
import { validationBlock } from '../../eval/honesty';
import { accuracy, brier, f1, logLoss, type Labels } from '../../eval/metrics';
import { crossFittedVotes } from '../../eval/threshold';
import { loadModel } from '../../models';
import { writeFileAtomic } from '../../util/atomic';
import type { RunContext } from '../context';
import { defineGate } from '../gate';
import { honestyChecks, judgeModel, marginOverMajority } from '../judgeModel';

export const ENSEMBLE_MEMBERS = ['finetune', 'augment', 'simple_lstm'] as const;

/**
 * Gate ensemble (the seed's gate 7: "combine models with isotonic calibration for better
 * probability estimates"): each member's validation probabilities calibrated (isotonic by
 * default) out of fold — contiguous blocks, each calibrated by a calibrator fitted on the
 * others — then averaged. The ensemble and its members are judged alike, the way calibrated
 * probabilities are meant to be judged: by a proper scoring rule (log loss, with a paired
 * block-bootstrap interval of the difference), and by accuracy at a threshold each block
 * takes from the other blocks (never from the windows it scores). F1 at such thresholds is
 * recorded, not judged: with a base rate below one half, the F1-best cut degenerates towards
 * "always up" (whose F1 is 2r / (1 + r), `f1_always_up`), so it does not tell models apart.
 */
export const ensembleGate = defineGate({
  id: 'ensemble', phase: 'gated', title: 'calibrated ensemble no worse than its best member (log loss, accuracy at cross-fitted thresholds)', requires: ['finetune', 'augment', 'simple_lstm'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_log_loss',
  thresholds: z.object({
    min_margin_over_majority: marginOverMajority,
    /** the ensemble's log loss at most its best member's plus this */
    max_log_loss_over_best_member: z.number().min(-1).max(1).default(0),
    /** the ensemble's accuracy at cross-fitted thresholds at least its best member's plus this (negative: within) */
    min_accuracy_over_best_member: z.number().min(-1).max(1).default(0),
  }).strict(),
  // its members faced the shuffle control at their own gates
  checks: [
    { metric: 'val_log_loss', op: '<=', ref: { gate: 'ensemble', metric: 'best_member_val_log_loss', offset: 'max_log_loss_over_best_member' } },
    { metric: 'val_accuracy_xfit', op: '>=', ref: { gate: 'ensemble', metric: 'best_member_val_accuracy_xfit', offset: 'min_accuracy_over_best_member' } },
    ...honestyChecks('ensemble', { shuffleControl: false }),
  ],
  async run(ctx) {
    const data = ctx.modelData();
    const { calibration, folds } = ctx.config.workflow.ensemble;
    const y = valLabels(data);
    const members = await Promise.all(ENSEMBLE_MEMBERS.map(async (gate) => {
      const dir = ctx.modelDirOfGate(gate);
      const model = loadModel(dir);
      const raw = Array.from(await model.predictProba(data.source, data.val, data.lastMove));
      model.dispose();
      const calibrated = crossFitCalibrated(calibration, y, raw, folds);
      return { gate, dir, raw, calibrated, ...scores(y, calibrated, folds), calibrator: fitCalibrator(calibration, y, raw) };
    }));
    const p = Float64Array.from(y, (_, i) => members.reduce((s, m) => s + m.calibrated[i], 0) / members.length);
    const ensemble = scores(y, p, folds);
    const bestByLoss = members.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
    const bestByAccuracy = members.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    const rate = y.reduce((a, b) => a + b, 0) / y.length;
    const difference = pairedLogLossDifference(ctx, y, p, bestByLoss.calibrated, validationBlock(data));
    const metrics = await judgeModel(ctx, data, p);
    const path = ctx.artifact(join('models', ctx.run, 'ensemble', 'ensemble.json'));
    writeFileAtomic(path, JSON.stringify({
      members: members.map((m) => ({ gate: m.gate, model: m.dir, calibrator: m.calibrator })), calibration, combine: 'mean of calibrated probabilities', fittedOn: 'validation',
    }, null, 2) + '\n');
    const meanRaw = Float64Array.from(y, (_, i) => members.reduce((s, m) => s + m.raw[i], 0) / members.length);
    return {
      metrics: {
        ...metrics,
        ...Object.fromEntries(members.flatMap((m) => [
          [`${m.gate}_val_log_loss_calibrated`, m.logLoss], [`${m.gate}_val_accuracy_xfit`, m.accuracy], [`${m.gate}_val_f1_xfit`, m.f1],
        ])),
        val_log_loss: ensemble.logLoss,
        val_brier: brier(y, p),
        val_accuracy_xfit: ensemble.accuracy,
        val_f1_xfit: ensemble.f1,
        f1_always_up: (2 * rate) / (1 + rate),
        best_member_val_log_loss: bestByLoss.logLoss,
        best_member_val_accuracy_xfit: bestByAccuracy.accuracy,
        log_loss_vs_best_member: difference.value,
        log_loss_vs_best_member_lo: difference.lo,
        log_loss_vs_best_member_hi: difference.hi,
        ece: calibrationError(y, p).ece,
        ece_uncalibrated_mean: calibrationError(y, meanRaw).ece,
        members: members.length,
      },
      artifacts: [path],
      note: `mean of ${members.length} ${calibration}-calibrated members: log loss ${ensemble.logLoss.toFixed(4)} vs best member ${bestByLoss.gate} ${bestByLoss.logLoss.toFixed(4)} ` +
        `(difference ${difference.value.toFixed(4)}, 95 % [${difference.lo.toFixed(4)}, ${difference.hi.toFixed(4)}]); accuracy at cross-fitted thresholds ${ensemble.accuracy.toFixed(4)} vs ${bestByAccuracy.gate} ${bestByAccuracy.accuracy.toFixed(4)}`,
    };
  },
});

/** Log loss, and accuracy and F1 at thresholds cross-fitted (each for itself) over the same contiguous blocks. */
function scores(y: number[], p: ArrayLike<number>, folds: number): { logLoss: number; accuracy: number; f1: number } {
  return { logLoss: logLoss(y, p), accuracy: accuracy(y, crossFittedVotes(y, p, folds, 'accuracy')), f1: f1(y, crossFittedVotes(y, p, folds, 'f1')) };
}

/** The ensemble's log loss minus a member's, with a paired moving-block bootstrap interval (the same resampled windows for both). */
function pairedLogLossDifference(ctx: RunContext, y: number[], ensemble: ArrayLike<number>, member: ArrayLike<number>, block: number) {
  const index = Float64Array.from(y, (_, i) => i);
  const diff = (yy: Labels, idx: ArrayLike<number>) =>
    logLoss(yy, Array.from(idx, (i) => ensemble[i])) - logLoss(yy, Array.from(idx, (i) => member[i]));
  return bootstrapCI(diff, y, index, { seed: ctx.config.seed, samples: 500, block });
}
