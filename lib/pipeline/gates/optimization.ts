import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { currentBackend, sampledWhile, trainsOnGpu } from '../../backend';
import type { Diagnosis } from '../../eval/diagnose';
import { modelDirOf } from '../../gates/queries';
import { writeFileAtomic } from '../../util/atomic';
import { InputError } from '../../util/errors';
import { changedConfig, configSha256 } from '../config';
import { defineGate } from '../gate';
import { trainModelRun } from '../modelRun';

/**
 * Gate optimization (phase 4): apply the diagnostics' recommendations one per iteration
 * (at most `maxOptimizationIterations`), train each on the same split, compare with the
 * baseline on validation, and keep the best — the baseline itself when nothing beats it.
 * A change that leaves the config as the baseline trained it is never trained again.
 */
export const optimizationGate = defineGate({
  id: 'optimization', phase: 'optimization', title: 'recommendations applied, compared with the baseline, best kept', requires: ['diagnostics'],
  runbook: 'runbooks/04_optimization.md', keyMetric: 'best_val_accuracy',
  thresholds: z.object({}).strict(),
  checks: [
    { metric: 'iterations', op: '>=', threshold: 1 },
    { metric: 'best_val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'val_accuracy' } },
  ],
  async run(ctx) {
    const baseline = ctx.latest.get('baseline');
    if (!baseline) throw new InputError('optimization needs the baseline record: run the baseline gate first');
    const diagnosis: Diagnosis = JSON.parse(readFileSync(ctx.recordedArtifact('diagnostics', 'recommendations.json'), 'utf8'));
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const baselineDir = modelDirOf(baseline);
    if (!baselineDir) throw new InputError('the baseline record has no model: run the baseline gate again');
    // on a GPU each try's utilization is sampled as the baseline's was, to show what a change did to it
    const onGpu = trainsOnGpu(currentBackend());
    let best = { accuracy: baseline.metrics.val_accuracy ?? -Infinity, dir: baselineDir, iteration: 0, title: 'the baseline', gpu: baseline.metrics.gpu_utilization_mean ?? null };
    const tried: Array<{ iteration: number; title: string; val_accuracy: number; dir: string; gpu: number | null }> = [];
    const iterations = Math.min(ctx.config.maxOptimizationIterations, diagnosis.recommendations.length);
    for (let i = 0; i < diagnosis.recommendations.length && tried.length < iterations; i++) {
      const r = diagnosis.recommendations[i];
      const config = changedConfig(ctx.config, r.changes, `recommendation ${i + 1} (${r.title})`);
      if (configSha256(config) === baseline.provenance.config_sha256) {
        ctx.log(`    recommendation ${i + 1} (${r.title}) leaves the config as the baseline trained it: not trained again`);
        continue;
      }
      const dir = ctx.artifact(join('models', ctx.run, `optimization-${i + 1}`));
      ctx.log(`    iteration ${tried.length + 1}/${iterations}: ${r.title}`);
      let run;
      try {
        run = await sampledWhile(onGpu, () => trainModelRun({ frame, split, config, dir, callbacks: ctx.trainingCallbacks(`optimization ${i + 1}: ${r.title}`) }));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        ctx.log(`    not applicable to this model: ${error.message}`); // e.g. dropout for a logistic regression
        continue;
      }
      const { result, gpu } = run;
      result.model.dispose();
      if (gpu) ctx.log(`    GPU busy ${gpu.meanPercent} % on average (the baseline: ${baseline.metrics.gpu_utilization_mean ?? 'n/a'} %)`);
      tried.push({ iteration: i + 1, title: r.title, val_accuracy: result.metrics.val_accuracy, dir, gpu: gpu?.meanPercent ?? null });
      if (result.metrics.val_accuracy > best.accuracy) best = { accuracy: result.metrics.val_accuracy, dir, iteration: i + 1, title: r.title, gpu: gpu?.meanPercent ?? null };
    }
    const report = ctx.artifact(join('reports', 'optimization_results.md'));
    const gpuColumn = (v: number | null) => (onGpu ? ` ${v ?? 'n/a'} |` : '');
    writeFileAtomic(report, `# Optimization results\n\nBaseline validation accuracy ${(baseline.metrics.val_accuracy ?? NaN).toFixed(4)}` +
      `${onGpu ? `, GPU busy ${baseline.metrics.gpu_utilization_mean ?? 'n/a'} % on average` : ''}.\n\n` +
      `| iteration | change | val accuracy |${onGpu ? ' GPU busy, % |' : ''}\n|---|---|---|${onGpu ? '---|' : ''}\n` +
      `${tried.map((t) => `| ${t.iteration} | ${t.title} | ${t.val_accuracy.toFixed(4)} |${gpuColumn(t.gpu)}`).join('\n')}\n\n` +
      `Kept: ${best.title} (${best.accuracy.toFixed(4)}), \`${best.dir}\`.\n`);
    return {
      metrics: {
        iterations: tried.length,
        best_val_accuracy: best.accuracy,
        baseline_val_accuracy: baseline.metrics.val_accuracy ?? null,
        improvement: best.accuracy - (baseline.metrics.val_accuracy ?? NaN),
        best_iteration: best.iteration,
        // what the kept model's training did with the GPU (null off a GPU)
        kept_gpu_utilization_mean: onGpu ? best.gpu : null,
      },
      artifacts: [join(best.dir, 'model.json'), join(best.dir, 'weights.bin'), report],
      note: `kept ${best.title}: val accuracy ${best.accuracy.toFixed(4)}`,
    };
  },
});
