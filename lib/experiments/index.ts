export { EXPERIMENTS, ARCHIVE, Metadata, newExperiment, findExperiment, listExperiments, experimentAt, validName, workflowRunbooks, type Experiment, type NewExperiment } from './experiment';
export { experimentStatus, runbookProblems, STATUSES, DEFAULT_THRESHOLDS, type ExperimentStatus, type StatusReport, type StatusThresholds } from './status';
export { diffExperiments, flatten, type ExperimentDiff } from './diff';
export { planArchive, archiveExperiments, ARCHIVABLE, type ArchivePlan } from './archive';
export { promoteExperiment, defaultTarget, PromotionRefusedError, type PromotionCheck, type PromotionResult, type PromoteOptions } from './promote';
export { readRegistry, writeRegistry, verifyRegistry, championOf, assertEntryIntact, REGISTRY, PROMOTED, RegistryEntry, Registry, type RegistryProblem } from './registry';
export { writeLeaderboard, leaderboardRows, LEADERBOARD_CSV, LEADERBOARD_MD } from './leaderboard';
export { runSignals, summarize as summarizeSignals, TIER_NAMES, type Signal, type SignalOptions, type SignalSummary } from './signals';
