/** gatebook's public API: what notebooks and other programs import from 'gatebook'. */
export * from './data';
export * from './features';
export * from './split';
export { ExperimentConfig, parseConfig, loadConfig, configSha256 } from './experiments/config';
export * from './gates';
export * from './runbooks';
export { runPipeline, selectGates, type PipelineResult, type GateOutcome } from './pipeline/runner';
export { registerPhase } from './pipeline/phases';
export type { Phase, PhaseOutput } from './pipeline/phase';
export { RunContext } from './pipeline/context';
export { formatGateTable, formatRunbookSummary } from './pipeline/summary';
export { GatebookError, InputError, CheckFailedError, exitCodeFor } from './util/errors';
export { Random } from './util/random';
export { sha256, canonicalJson } from './util/hash';
