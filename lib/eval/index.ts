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
export { fitCalibrator, applyCalibrator, CALIBRATORS, type CalibratorState, type CalibratorKind } from './calibrate';
export { evaluateProbabilities, type EvaluationOptions } from './evaluate';
export { psi, ksStatistic } from './drift';
export { recordTestRead, assertTestUnread } from './testGuard';
export { diagnose, applyChanges, ISSUES, type Diagnosis, type Recommendation, type Issue } from './diagnose';
