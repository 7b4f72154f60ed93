/**
 * gatebook's public API: what notebooks and other programs import from 'gatebook' — a
 * curated surface, grouped by layer (docs/ARCHITECTURE.md lists it). Everything else is
 * reachable through the area's own index (lib/<area>/index.ts) for code inside gatebook.
 */

// data → features → split: bars, features, temporal splits
export { loadDataset, saveDataset, frameSha256, DatasetManifest } from './data/dataset';
export { ensureEmbeddedDataset } from './data/embedded';
export { generateSynthetic, SyntheticOptions } from './data/synthetic';
export { importFile } from './data/import';
export { fetchExchangeCandles } from './data/exchange';
export { validateOhlcv, type ValidationReport, type ValidationIssue } from './data/validate';
export { fixOhlcv } from './data/fix';
export { SEED_FEATURES, numericFeatureNames, stationaryFeatureNames, type FeatureSpec } from './features/registry';
export { buildFeatures } from './features/build';
export { checkCausality } from './features/causality';
export { temporalSplit } from './split/temporal';
export { walkForward } from './split/walkForward';
export { loadSplit, saveSplit, SplitFile } from './split/splitFile';

// tensors → backend → train → models: windows, TensorFlow.js, the training loop, model families
export { prepareData, prepareForPrediction, type PreparedData } from './tensors/prepare';
export { augmentTrainingSet, AugmentOptions } from './tensors/augment';
export { tf } from './backend/tf';
export { selectBackend, currentBackend, BACKENDS, type BackendChoice } from './backend/select';
export { deviceReport } from './backend/device';
export { microBenchmark } from './backend/microbench';
export { TrainOptions, type TrainOptionsInput } from './train/options';
export { trainLoop, type Objective, type EpochRecord, type TrainResult, type TrainCallbacks } from './train/loop';
export { trainNetwork } from './train/classification';
export type { Net } from './train/net';
export {
  createModel, loadModel, registerFamily, familyNames, NeuralModel, networkFamily, WeightFactory, NotFittedError,
  lstm, bilstm, tcn, transformer, logistic, majority, persistence, minirocket, pretrainEncoder, finetuneFromEncoder,
  type Classifier, type ModelInputs, type FitOptions, type FamilyEntry,
} from './models';

// eval: metrics, calibration, significance, honesty
export {
  accuracy, balancedAccuracy, precision, recall, f1, rocAuc, averagePrecision, logLoss, brier, confusion,
  calibrationError, bootstrapCI, mcnemar, binomialTest, fitCalibrator, applyCalibrator, crossFitCalibrated, CALIBRATORS,
  evaluateProbabilities, accuracyOf, psi, maxDrift, ksStatistic, labelControl, constantAccuracy, plausible, meanLowerBound,
  bestThreshold, crossFittedVotes, diagnose,
} from './eval';

// gates → runbooks → pipeline: the ledger, checklists, the gate table and the runner
export { verifyLedger, appendRecord, bestRecord, modelDirOf, evaluateChecks, GateRecord, type GateSpec, type CheckSpec } from './gates';
export { readRunbook, verifyRunbook, verifyRunbookFile } from './runbooks';
export {
  ExperimentConfig, parseConfig, loadConfig, configWith, defaultConfig, configSha256, loadConfiguredData,
  defineGate, GATES, GATE_IDS, gateById, WORKFLOWS, workflowGates, runPipeline, RunContext, trainModelRun, prepareModelData, modelFeatures,
  formatGateTable, formatRunbookSummary, type Gate, type PhaseOutput, type PipelineResult, type GateOutcome,
} from './pipeline';

// storage: artifacts to and from S3 or a folder (a notebook on a GPU box can push what it trained)
export { storeFor, pushArtifacts, pullArtifacts, type ArtifactStore } from './storage';

// remote: gatebook on a rented box over SSH — what ran there and what came home (notebook 21)
export { remoteStatus, fetchRemote, type RunStatus } from './remote';

// sweeps: grids of configs run as tasks (local, SSH boxes, SLURM), merged into one ledger (notebook 22)
export { readPlan, sweepDirOf, sweepStatus, sweepLedgerOf, type SweepPlan, type TaskStatus } from './sweeps';

// experiments: folders with their own ledgers, status, promotion, the registry, signals
export {
  newExperiment, findExperiment, listExperiments, experimentStatus, diffExperiments, planArchive, archiveExperiments,
  promoteExperiment, readRegistry, verifyRegistry, championOf, leaderboardRows, runSignals, summarizeSignals,
  type Experiment, type ExperimentStatus, type PromotionCheck, type PromotionResult, type RegistryEntry, type Signal,
} from './experiments';

// kernel → plots → notebook → runner → reports: what a notebook shows and does
export { display, show, mimeBundle, inKernel, type MimeBundle } from './kernel/display';
export { prompt } from './kernel/prompt';
export { comms, widgetsAvailable, Widget, progressBar, html, button, vbox, hbox } from './kernel';
export * from './plots';
export { runGates, latestRecords, allRecords, modelHistory, calibrationCurves, showMarkdown, pick, enterProject, notebookProgress, trainingWidget, type NotebookRunOptions } from './notebook';
export { runNotebook, type RunResult } from './runner';
export { writeReport } from './reports';

export { GatebookError, InputError, CheckFailedError } from './util/errors';
export { Random } from './util/random';
export { sha256, canonicalJson } from './util/hash';
