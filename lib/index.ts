/** gatebook's public API: what notebooks and other programs import from 'gatebook'. */
export * from './data';
export * from './features';
export * from './split';
export { ExperimentConfig, parseConfig, loadConfig } from './experiments/config';
export { runPipeline, formatSteps, type PipelineResult } from './pipeline/run';
export { type StepResult } from './pipeline/steps';
export { GatebookError, InputError, CheckFailedError, exitCodeFor } from './util/errors';
export { Random } from './util/random';
export { sha256, canonicalJson } from './util/hash';
