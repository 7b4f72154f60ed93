import { InputError } from '../util/errors';
import { applyIsotonic, fitIsotonic, type IsotonicState } from './isotonic';
import type { Labels, Scores } from './metrics';
import { applyPlatt, fitPlatt, type PlattState } from './platt';
import { applyTemperature, fitTemperature, type TemperatureState } from './temperature';

/** A fitted calibrator, as JSON saved with the model. */
export type CalibratorState = IsotonicState | PlattState | TemperatureState;
export const CALIBRATORS = ['isotonic', 'platt', 'temperature'] as const;

/** Fit a calibrator on validation labels and probabilities. */
export function fitCalibrator(kind: string, y: Labels, p: Scores): CalibratorState {
  switch (kind) {
    case 'isotonic': return fitIsotonic(y, p);
    case 'platt': return fitPlatt(y, p);
    case 'temperature': return fitTemperature(y, p);
    default: throw new InputError(`invalid calibrator: ${kind} (expected one of ${CALIBRATORS.join(', ')})`);
  }
}

/** Apply a fitted calibrator to new probabilities (e.g. the test split's). */
export function applyCalibrator(state: CalibratorState, p: Scores): Float64Array {
  switch (state.kind) {
    case 'isotonic': return applyIsotonic(state, p);
    case 'platt': return applyPlatt(state, p);
    case 'temperature': return applyTemperature(state, p);
  }
}

/**
 * Out-of-fold calibrated probabilities over `folds` contiguous blocks (in time): each block
 * is calibrated by a calibrator fitted on the others, so a calibrated probability is never
 * judged on the data its calibrator saw.
 */
export function crossFitCalibrated(method: string, y: number[], p: number[], folds: number): Float64Array {
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
