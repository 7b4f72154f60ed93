import { join } from 'node:path';
import { z } from 'zod';
import { crossFitCalibrated, fitCalibrator } from '../../eval/calibrate';
import { evaluateProbabilities } from '../../eval/evaluate';
import { recordArtifactJson } from '../../gates/queries';
import { loadModel } from '../../models';
import { prepareData } from '../../tensors/prepare';
import { writeFileAtomic } from '../../util/atomic';
import { InputError } from '../../util/errors';
import { defineGate } from '../gate';

const FOLDS = 5;

/**
 * Gate calibration: the current model's validation probabilities, calibrated by the
 * configured method and judged out of fold — validation is cut into contiguous blocks in
 * time, each block calibrated by a calibrator fitted on the others — so the ECE after is
 * never measured on the data the calibrator was fitted to. The calibrator saved for the
 * test is fitted on all of validation.
 */
export const calibrationGate = defineGate({
  id: 'calibration', phase: 'finalization', title: 'probabilities calibrated (ECE judged on its upper bound)', requires: ['smoke'],
  runbook: 'runbooks/05_finalization.md', keyMetric: 'ece_after',
  thresholds: z.object({
    /** judged on the upper bound of the bootstrap 95 % interval (the seed's 0.05) */
    max_ece: z.number().positive().default(0.05),
  }).strict(),
  checks: [{ metric: 'ece_after_hi', op: '<=', threshold: 'max_ece' }],
  async run(ctx) {
    const dir = ctx.currentModelDir();
    const model = loadModel(dir);
    const inputs = model.inputs;
    if (!inputs?.scaler) throw new InputError(`${dir}: the calibration gate needs a model that reads features (got ${model.family})`);
    const data = prepareData(ctx.featureFrame(), ctx.split(), { window: inputs.window, featureNames: inputs.featureNames, scaler: inputs.scaler.kind });
    const p = await model.predictProba(data.source, data.val, data.lastMove);
    model.dispose();
    const y = Array.from(data.val, (e) => data.source.labels[e]);
    const { method, bins } = ctx.config.calibration;
    const crossFitted = crossFitCalibrated(method, y, Array.from(p), FOLDS);
    const before = evaluateProbabilities(y, p, { bins, seed: ctx.config.seed });
    const after = evaluateProbabilities(y, crossFitted, { bins, seed: ctx.config.seed });
    const saved = fitCalibrator(method, y, Array.from(p));
    const path = join(ctx.artifactsDir, 'models', ctx.run, 'calibration.json');
    const curves = { labels: y, raw: Array.from(p), calibrated: Array.from(crossFitted) }; // for the reliability diagram
    writeFileAtomic(path, JSON.stringify({ model: dir, method, calibrator: saved, fittedOn: 'validation', before, after, curves }) + '\n');
    return {
      metrics: {
        ece_before: before.ece, ece_after: after.ece, ece_after_hi: after.ece_hi, mce_after: after.mce,
        brier_before: before.brier, brier_after: after.brier, log_loss_before: before.log_loss, log_loss_after: after.log_loss,
        windows: y.length,
      },
      artifacts: [path],
      note: `${method} on ${dir}: ECE ${before.ece.toFixed(4)} → ${after.ece.toFixed(4)} (upper 95 % bound ${after.ece_hi.toFixed(4)}), ${FOLDS}-fold cross-fitted on validation`,
    };
  },
});

/** The validation labels and probabilities before / after calibration that the calibration gate recorded in a ledger. */
export function calibrationCurves(ledgerPath: string): { labels: number[]; raw: number[]; calibrated: number[]; method: string } {
  const saved = recordArtifactJson<{ curves: { labels: number[]; raw: number[]; calibrated: number[] }; method: string }>(ledgerPath, 'calibration', 'calibration.json');
  return { ...saved.curves, method: saved.method };
}
