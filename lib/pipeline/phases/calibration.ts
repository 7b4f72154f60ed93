import { join } from 'node:path';
import { frameSha256 } from '../../data/dataset';
import { applyCalibrator, fitCalibrator } from '../../eval/calibrate';
import { evaluateProbabilities } from '../../eval/evaluate';
import { loadModel } from '../../models/families';
import type { NeuralModel } from '../../models/neural';
import { loadSplit } from '../../split/splitFile';
import { prepareData } from '../../tensors/prepare';
import { writeFileAtomic } from '../../util/atomic';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

const FOLDS = 5;

/**
 * Gate calibration: the current model's validation probabilities, calibrated by the
 * configured method and judged out of fold — validation is cut into contiguous blocks in
 * time, each block calibrated by a calibrator fitted on the others — so the ECE after is
 * never measured on the data the calibrator was fitted to. The calibrator saved for the
 * test is fitted on all of validation.
 */
export function calibrationPhase(ctx: RunContext): PhaseOutput {
  const dir = ctx.currentModelDir();
  const model = loadModel(dir) as NeuralModel<Record<string, unknown>>;
  const state = model.fittedState!;
  const frame = ctx.featureFrame();
  const split = loadSplit(ctx.artifact('split.json'), frameSha256(frame));
  const data = prepareData(frame, split, { window: state.window, featureNames: state.featureNames, scaler: state.scaler.kind });
  const p = model.predictProba(data.source, data.val);
  model.dispose();
  const y = Array.from(data.val, (e) => data.source.labels[e]);
  const { method, bins } = ctx.config.calibration;
  const crossFitted = crossFit(method, y, Array.from(p), FOLDS);
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
}

/** Out-of-fold calibrated probabilities over `folds` contiguous blocks. */
export function crossFit(method: string, y: number[], p: number[], folds: number): Float64Array {
  const out = new Float64Array(y.length);
  const size = Math.ceil(y.length / folds);
  for (let f = 0; f < folds; f++) {
    const lo = f * size;
    const hi = Math.min(y.length, lo + size);
    if (lo >= hi) continue;
    const fitted = fitCalibrator(method, [...y.slice(0, lo), ...y.slice(hi)], [...p.slice(0, lo), ...p.slice(hi)]);
    out.set(applyCalibrator(fitted, p.slice(lo, hi)), lo);
  }
  return out;
}
