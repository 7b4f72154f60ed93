import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameSha256 } from '../../data/dataset';
import { diagnose, ISSUES, type Diagnosis } from '../../eval/diagnose';
import { loadSplit } from '../../split/splitFile';
import { maxDrift } from './drift';
import { modelFeatures } from '../../train/experiment';
import type { EpochRecord } from '../../train/loop';
import { writeFileAtomic } from '../../util/atomic';
import { InputError } from '../../util/errors';
import { modelDirOf, type RunContext } from '../context';
import type { PhaseOutput } from '../phase';

/**
 * Gate diagnostics (phase 3): from the baseline's history, metrics and the data checks,
 * name the primary issue and write 3–5 ranked recommendations, both as a markdown report
 * and as config changes the optimization phase applies.
 */
export function diagnosticsPhase(ctx: RunContext): PhaseOutput {
  const baseline = ctx.latest.get('baseline');
  const modelDir = baseline ? modelDirOf(baseline) : undefined;
  const historyPath = modelDir ? join(modelDir, 'history.json') : undefined;
  if (!baseline) throw new InputError('diagnostics needs a baseline record: run the baseline gate first');
  const history: EpochRecord[] = historyPath && existsSync(historyPath) ? JSON.parse(readFileSync(historyPath, 'utf8')) : [];
  const params = ctx.config.model.params as { dropout?: number; units?: number; layers?: number };
  const maxPsi = maxDriftOf(ctx);
  const diagnosis = diagnose({
    history,
    error: baseline.error,
    metrics: baseline.metrics,
    config: {
      learningRate: ctx.config.train.learningRate, dropout: params.dropout ?? 0.2, units: params.units ?? 64,
      layers: params.layers ?? 2, trainStride: ctx.config.model.trainStride, epochs: ctx.config.train.epochs,
    },
    positiveRate: ctx.latest.get('features')?.metrics.positive_rate ?? 0.5,
    maxPsi,
  });
  const dir = ctx.artifact(join('models', ctx.run));
  const recommendations = join(dir, 'recommendations.json');
  const report = ctx.artifact(join('reports', 'diagnostic_report.md'));
  writeFileAtomic(recommendations, JSON.stringify(diagnosis, null, 2) + '\n');
  writeFileAtomic(report, formatDiagnosis(diagnosis, baseline.metrics.val_accuracy ?? NaN));
  return {
    metrics: { primary_issue: ISSUES.indexOf(diagnosis.primary), recommendations: diagnosis.recommendations.length, max_psi: maxPsi },
    artifacts: [recommendations, report],
    note: `primary issue: ${diagnosis.primary}; ${diagnosis.recommendations.map((r) => `${r.rank}. ${r.title}`).join('; ')}`,
  };
}

/** The largest population stability index of a model feature between train and validation. */
function maxDriftOf(ctx: RunContext): number {
  const frame = ctx.featureFrame();
  const split = loadSplit(ctx.artifact('split.json'), frameSha256(frame));
  return maxDrift(frame, split, split.val, modelFeatures(ctx.config)).psi;
}

function formatDiagnosis(d: Diagnosis, valAccuracy: number): string {
  return `# Diagnostic report

Baseline validation accuracy: ${valAccuracy.toFixed(4)}.

## Primary issue: ${d.primary.replace('_', ' ')}

${d.evidence.map((e) => `- ${e}`).join('\n')}

## Recommendations (ranked; the optimization phase applies them)

${d.recommendations.map((r) => `${r.rank}. **${r.title}** — ${r.why}. Config: \`${JSON.stringify(r.changes)}\``).join('\n')}
`;
}
