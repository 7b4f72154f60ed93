export { runNotebook, DEFAULT_SKIP_TAGS, type RunOptions, type RunResult, type FailedCell } from './run';
export { notebookParameters, parameterCell, parametersFromFile, type Parameter } from './parameters';
export { readNotebook, writeNotebook, sourceOf, type Notebook, type Cell } from './notebookFile';
export { registerEngine, getEngine, type Engine, type LaunchedKernel } from './engines';
export { KernelClient, DeadKernelError, CellTimeoutError, type Output } from './client';
export { findKernelspec } from './kernelspecs';
export { runNotebookPipeline, type NotebookPipelineResult } from './notebookPipeline';
