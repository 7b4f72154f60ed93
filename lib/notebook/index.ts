export { runGates, latestRecords, allRecords, modelHistory, calibrationCurves, showMarkdown, pick, type NotebookRunOptions } from './runGates';
export { enterProject } from './project';
export { notebookProgress } from './progress';
export { trainingWidget } from './trainingWidget';
