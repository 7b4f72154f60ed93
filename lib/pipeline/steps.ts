import { join } from 'node:path';
import pl from 'nodejs-polars';
import { ensureEmbeddedDataset } from '../data/embedded';
import { frameSha256, saveDataset } from '../data/dataset';
import { generateSynthetic } from '../data/synthetic';
import { importFile } from '../data/import';
import { validateOhlcv, type ValidationReport } from '../data/validate';
import { buildFeatures, type BuildResult } from '../features/build';
import { checkCausality } from '../features/causality';
import { temporalSplit } from '../split/temporal';
import { saveSplit, splitFile, type SplitFile } from '../split/splitFile';
import { writeFileAtomic } from '../util/atomic';
import type { ExperimentConfig } from '../experiments/config';
import type { ColumnMapping } from '../data/columns';

/** What one step of the pipeline reports: pass or fail, one key figure, details. */
export interface StepResult {
  step: string;
  status: 'pass' | 'fail';
  figure: string;
  seconds: number;
  detail?: string;
}

export interface PipelineContext {
  config: ExperimentConfig;
  artifactsDir: string;
  log: (line: string) => void;
  frame?: pl.DataFrame;
  validation?: ValidationReport;
  features?: BuildResult;
  split?: SplitFile;
}

/** Load the configured data and validate it; errors fail the step. */
export function dataStep(ctx: PipelineContext): Omit<StepResult, 'seconds'> {
  const source = ctx.config.data;
  let frame: pl.DataFrame;
  let name: string;
  if (source.source === 'embedded') {
    const embedded = ensureEmbeddedDataset(undefined, (done, total) => ctx.log(`  generating embedded data: ${done}/${total} bars`));
    frame = embedded.frame;
    name = embedded.path;
    ctx.log(`  ${embedded.generated ? 'regenerated' : 'read'} ${embedded.path} (sha256 ${embedded.manifest.sha256.slice(0, 12)}… as committed)`);
  } else if (source.source === 'synthetic') {
    frame = generateSynthetic(source.generator);
    name = 'synthetic';
  } else {
    frame = importFile(source.path, { adjusted: source.adjusted, mapping: source.mapping as Partial<ColumnMapping> }).frame;
    name = source.path;
  }
  const report = validateOhlcv(frame, { source: name });
  writeFileAtomic(join(ctx.artifactsDir, 'data', 'validation.json'), JSON.stringify(report, null, 2) + '\n');
  ctx.frame = frame;
  ctx.validation = report;
  const figure = `${report.rows} rows, ${report.interval ?? '?'} bars, ${report.errors} error(s), ${report.gaps.count} gap(s)`;
  const detail = report.issues.filter((i) => i.severity === 'error').slice(0, 5).map((i) => i.message).join('\n');
  return { step: 'data', status: report.ok ? 'pass' : 'fail', figure, detail: detail || undefined };
}

/** Features + label, the causality check, the feature parquet. */
export function featuresStep(ctx: PipelineContext): Omit<StepResult, 'seconds'> {
  const frame = ctx.frame!;
  const { causalityPoints, ...label } = ctx.config.features;
  const causality = checkCausality(frame, undefined, causalityPoints);
  const built = buildFeatures(frame, label);
  ctx.features = built;
  saveDataset(built.frame, join(ctx.artifactsDir, 'features.parquet'), { step: 'features', ...label });
  const balance = (built.frame.getColumn('label').mean() as number) ?? NaN;
  const figure = `${built.frame.height} rows × ${built.numericFeatures.length}+${built.categoricalFeatures.length} features, ` +
    `label=1 ${(100 * balance).toFixed(1)} %, causality ${causality.ok ? 'ok' : 'VIOLATED'} at ${causality.rowsChecked.length} rows`;
  const detail = causality.violations.slice(0, 5).map((v) => `feature ${v.feature} at row ${v.row}: ${v.onPrefix} on data cut there, ${v.onAll} on all data`).join('\n');
  return { step: 'features', status: causality.ok ? 'pass' : 'fail', figure, detail: detail || undefined };
}

/** The temporal split of the feature rows, saved as JSON tied to their sha256. */
export function splitStep(ctx: PipelineContext): Omit<StepResult, 'seconds'> {
  const frame = ctx.features!.frame;
  const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
  const split = splitFile(temporalSplit(t, ctx.config.split), frameSha256(frame), frame.height);
  saveSplit(join(ctx.artifactsDir, 'split.json'), split);
  ctx.split = split;
  const figure = `train ${split.train.rows} / val ${split.val.rows} / test ${split.test.rows} rows, purge ${split.purgeBars} bars`;
  return { step: 'split', status: 'pass', figure };
}
