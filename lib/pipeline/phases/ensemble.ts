import { join } from 'node:path';
import { fitCalibrator } from '../../eval/calibrate';
import { calibrationError } from '../../eval/calibrationError';
import { f1 } from '../../eval/metrics';
import { loadModel } from '../../models/families';
import { valLabels } from '../../train/experiment';
import { writeFileAtomic } from '../../util/atomic';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';
import { crossFit } from './calibration';
import { judgedMetrics } from './modelGate';

export const ENSEMBLE_MEMBERS = ['finetune', 'augment', 'simple_lstm'] as const;

/**
 * Gate ensemble (the seed's gate 7): each member's validation probabilities calibrated
 * (isotonic by default) out of fold — contiguous blocks, each calibrated by a calibrator
 * fitted on the others — then averaged. The ensemble is compared with its best member
 * measured the same way (calibrated out of fold, F1 at 0.5), never with in-sample numbers.
 */
export async function ensemblePhase(ctx: RunContext): Promise<PhaseOutput> {
  const data = ctx.modelData();
  const { calibration, folds } = ctx.config.workflow.ensemble;
  const y = valLabels(data);
  const members = ENSEMBLE_MEMBERS.map((gate) => {
    const dir = ctx.modelDirOfGate(gate);
    const model = loadModel(dir);
    const raw = Array.from(model.predictProba(data.source, data.val, data.lastMove));
    model.dispose();
    const calibrated = crossFit(calibration, y, raw, folds);
    return { gate, dir, raw, calibrated, f1: f1(y, calibrated), calibrator: fitCalibrator(calibration, y, raw) };
  });
  const p = Float64Array.from(y, (_, i) => members.reduce((s, m) => s + m.calibrated[i], 0) / members.length);
  const metrics = await judgedMetrics(ctx, data, p);
  const best = members.reduce((a, b) => (b.f1 > a.f1 ? b : a));
  const path = ctx.artifact(join('models', ctx.run, 'ensemble', 'ensemble.json'));
  writeFileAtomic(path, JSON.stringify({
    members: members.map((m) => ({ gate: m.gate, model: m.dir, calibrator: m.calibrator })), calibration, combine: 'mean of calibrated probabilities', fittedOn: 'validation',
  }, null, 2) + '\n');
  const meanRaw = Float64Array.from(y, (_, i) => members.reduce((s, m) => s + m.raw[i], 0) / members.length);
  return {
    metrics: {
      ...metrics,
      ...Object.fromEntries(members.map((m) => [`${m.gate}_val_f1_calibrated`, m.f1])),
      best_member_val_f1: best.f1,
      ece: calibrationError(y, p).ece,
      ece_uncalibrated_mean: calibrationError(y, meanRaw).ece,
      members: members.length,
    },
    artifacts: [path],
    note: `mean of ${members.length} ${calibration}-calibrated members; best member ${best.gate} (F1 ${best.f1.toFixed(4)} calibrated out of fold)`,
  };
}
