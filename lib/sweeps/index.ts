export { SweepFile, loadSweepFile, type LoadedSweep } from './sweepFile';
export { planSweep, readPlan, grid, taskId, sweepDirOf, taskArgs, type SweepPlan, type SweepTask } from './plan';
export { runTask, taskByIndex } from './task';
export { runLocal } from './localExecutor';
export { runSsh } from './sshExecutor';
export { submitSlurm, sbatchScript, submissionsOf, type Submission } from './slurmExecutor';
export { sweepStatus, metricOf, type TaskStatus, type TaskState } from './status';
export { collectSweep, sweepLedgerOf, type CollectReport } from './collect';
export { sweepLeaderboard } from './leaderboard';
