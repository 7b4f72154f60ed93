import { InputError } from '../util/errors';
import { applyIsotonic, fitIsotonic, type IsotonicState } from './isotonic';
import type { Labels, Scores } from './metrics';
import { applyPlatt, fitPlatt, type PlattState } from './platt';
import { applyTemperature, fitTemperature, type TemperatureState } from './temperature';

/** A fitted calibrator, as JSON saved with the model. */
export type CalibratorState = IsotonicState | PlattState | TemperatureState;
export const CALIBRATORS = ['isotonic', 'platt', 'temperature'] as const;
export type CalibratorKind = (typeof CALIBRATORS)[number];

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
