export {
  accuracy, balancedAccuracy, precision, recall, f1, rocAuc, averagePrecision, logLoss, brier, confusion, undefinedReason,
  type Confusion, type Labels, type Scores,
} from './metrics';
export { calibrationError, type CalibrationError, type ReliabilityBin } from './calibrationError';
export { bootstrapCI, type ConfidenceInterval } from './bootstrap';
export { binomialTest, binomialTestGreater, mcnemar, type McNemarResult } from './significance';
export { fitIsotonic, applyIsotonic, poolAdjacentViolators, type IsotonicState } from './isotonic';
export { fitPlatt, applyPlatt, logit, type PlattState } from './platt';
export { fitTemperature, applyTemperature, type TemperatureState } from './temperature';
export { fitCalibrator, applyCalibrator, crossFitCalibrated, CALIBRATORS, type CalibratorState } from './calibrate';
export { evaluateProbabilities, accuracyOf, valLabels, type EvaluationOptions } from './evaluate';
export { psi, maxDrift } from './drift';
export { ksStatistic } from '../util/ks';
export { labelControl, constantAccuracy, plausible, meanLowerBound, validationBlock, PlausibilityCeilings } from './honesty';
export { diagnose, ISSUES, MIN_RECOMMENDATIONS, type Diagnosis, type DiagnosisInput, type Recommendation, type Issue } from './diagnose';
export { bestThreshold, crossFittedVotes, type ThresholdCriterion } from './threshold';
