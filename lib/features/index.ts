export { SEED_FEATURES, PLANTED_LEAK, numericFeatureNames, stationaryFeatureNames, warmupBars, type FeatureSpec } from './registry';
export { buildFeatures, computeFeatures, type BuildOptions, type BuildResult } from './build';
export { labelExpr, LabelOptions } from './label';
export { checkCausality, type CausalityReport, type CausalityViolation } from './causality';
export { rollingQuantiles } from './rolling';
