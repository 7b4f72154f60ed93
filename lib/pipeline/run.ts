import { dataStep, featuresStep, splitStep, type PipelineContext, type StepResult } from './steps';
import type { ExperimentConfig } from '../experiments/config';

export interface PipelineOptions {
  config: ExperimentConfig;
  artifactsDir?: string;
  log?: (line: string) => void;
}

export interface PipelineResult {
  steps: StepResult[];
  ok: boolean;
}

const STEPS = [dataStep, featuresStep, splitStep];

/** Runs data → features → split in order and stops at the first step that fails. */
export function runPipeline(options: PipelineOptions): PipelineResult {
  const ctx: PipelineContext = {
    config: options.config,
    artifactsDir: options.artifactsDir ?? 'artifacts',
    log: options.log ?? (() => {}),
  };
  const steps: StepResult[] = [];
  for (const step of STEPS) {
    const started = performance.now();
    const result = { ...step(ctx), seconds: (performance.now() - started) / 1000 };
    steps.push(result);
    ctx.log(`${result.status === 'pass' ? '✓' : '✗'} ${result.step}: ${result.figure} (${result.seconds.toFixed(1)} s)`);
    if (result.status !== 'pass') break;
  }
  return { steps, ok: steps.every((s) => s.status === 'pass') };
}

/** The summary table: one line per step. */
export function formatSteps(steps: StepResult[]): string {
  const width = Math.max(...steps.map((s) => s.step.length), 4);
  const lines = steps.map((s) => `${s.step.padEnd(width)}  ${s.status.padEnd(4)}  ${s.seconds.toFixed(1).padStart(6)} s  ${s.figure}`);
  return [`${'step'.padEnd(width)}  stat  ${'time'.padStart(8)}  key figure`, ...lines].join('\n');
}
