import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { diagnose, idleGpuOf, ISSUES, MIN_RECOMMENDATIONS, type Diagnosis } from '../../eval/diagnose';
import { maxDrift } from '../../eval/drift';
import { partRanges } from '../../split/symbols';
import type { EpochRecord } from '../../train/loop';
import { writeFileAtomic } from '../../util/atomic';
import { InputError } from '../../util/errors';
import { defineGate } from '../gate';
import { modelFeatures } from '../modelRun';

/**
 * Gate diagnostics (phase 3): from the baseline's history, metrics and the data checks,
 * name the primary issue and write 3–5 ranked recommendations that change the effective
 * config, both as a markdown report and as config changes the optimization phase applies.
 * When fewer than 3 changes would alter the config, the run is near-optimal for what this
 * phase can change: the gate records that branch and skips optimization (the master
 * workflow's "near-optimal: skip to finalization").
 */
export const diagnosticsGate = defineGate({
  id: 'diagnostics', phase: 'diagnostics', title: 'primary issue named, 3–5 actionable recommendations (or near-optimal)', requires: ['smoke'],
  runbook: 'runbooks/03_diagnostics.md', keyMetric: 'recommendations',
  thresholds: z.object({}).strict(),
  checks: [{ metric: 'recommendations', op: 'between', threshold: [MIN_RECOMMENDATIONS, 5], waivedBy: 'near_optimal' }],
  run(ctx) {
    const baseline = ctx.latest.get('baseline');
    if (!baseline) throw new InputError('diagnostics needs a baseline record: run the baseline gate first');
    // a baseline that errored has no model: its diagnosis reads the error, not a history
    const history: EpochRecord[] = baseline.artifacts.some((a) => a.path.endsWith('/history.json'))
      ? JSON.parse(readFileSync(ctx.recordedArtifact('baseline', '/history.json'), 'utf8')) : [];
    const params = ctx.config.model.params as { dropout?: number; units?: number; layers?: number };
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const maxPsi = maxDrift(frame, partRanges(split, 'train'), partRanges(split, 'val'), modelFeatures(ctx.config)).psi;
    const diagnosis = diagnose({
      history,
      error: baseline.error,
      metrics: baseline.metrics,
      config: {
        learningRate: ctx.config.train.learningRate, dropout: params.dropout ?? 0.2, units: params.units ?? 64,
        layers: params.layers ?? 2, trainStride: ctx.config.model.trainStride, epochs: ctx.config.train.epochs,
        batchSize: ctx.config.train.batchSize,
      },
      positiveRate: ctx.latest.get('features')?.metrics.positive_rate ?? 0.5,
      maxPsi,
      effective: ctx.config,
      idleGpu: idleGpuOf(baseline.checks),
    });
    const nearOptimal = diagnosis.recommendations.length < MIN_RECOMMENDATIONS;
    const dir = ctx.artifact(join('models', ctx.run));
    const recommendations = join(dir, 'recommendations.json');
    const report = ctx.artifact(join('reports', 'diagnostic_report.md'));
    writeFileAtomic(recommendations, JSON.stringify(diagnosis, null, 2) + '\n');
    writeFileAtomic(report, formatDiagnosis(diagnosis, baseline.metrics.val_accuracy ?? NaN, nearOptimal));
    return {
      metrics: {
        primary_issue: ISSUES.indexOf(diagnosis.primary), recommendations: diagnosis.recommendations.length,
        already_in_effect: diagnosis.alreadyInEffect.length, near_optimal: nearOptimal ? 1 : 0, max_psi: maxPsi,
      },
      artifacts: [recommendations, report],
      note: `primary issue: ${diagnosis.primary}; ${diagnosis.recommendations.map((r) => `${r.rank}. ${r.title}`).join('; ') || 'no change would alter the config'}` +
        (diagnosis.alreadyInEffect.length ? ` (already in effect: ${diagnosis.alreadyInEffect.join('; ')})` : ''),
      ...(nearOptimal ? {
        decision: `near-optimal: ${diagnosis.recommendations.length} change(s) would alter the config (fewer than ${MIN_RECOMMENDATIONS}) → skip optimization`,
        skip: ['optimization'],
      } : {}),
    };
  },
});

function formatDiagnosis(d: Diagnosis, valAccuracy: number, nearOptimal: boolean): string {
  const list = d.recommendations.map((r) => `${r.rank}. **${r.title}** — ${r.why}. Config: \`${JSON.stringify(r.changes)}\``).join('\n');
  return `# Diagnostic report

Baseline validation accuracy: ${valAccuracy.toFixed(4)}.

## Primary issue: ${d.primary.replace('_', ' ')}

${d.evidence.map((e) => `- ${e}`).join('\n')}

## Recommendations (ranked; the optimization phase applies them)

${list || '(none: every change this diagnosis would make is already in effect)'}
${nearOptimal ? `\n**Near-optimal**: fewer than ${MIN_RECOMMENDATIONS} changes would alter the effective config, so optimization is skipped and the workflow goes on to calibration and finalization.\n` : ''}${d.alreadyInEffect.length ? `\nAlready in effect (not recommended again): ${d.alreadyInEffect.join('; ')}.\n` : ''}`;
}
