import { join } from 'node:path';
import { z } from 'zod';
import { constantAccuracy, labelControl, meanLowerBound, plausible } from '../../eval/honesty';
import { currentBackend, sampledWhile, trainsOnGpu } from '../../backend';
import { createModel, modelFiles } from '../../models';
import { defineGate } from '../gate';
import { prepareModelData, trainModelRun } from '../modelRun';

/**
 * Gate baseline: the configured model with the seed's defaults (LR 1e-3, 20 epochs, early
 * stopping), measured on validation against the target, the majority and persistence
 * baselines, with the honesty checks: seed variance, a label-shuffle control and the
 * plausibility ceiling. Sufficient → calibration; insufficient → diagnostics.
 */
export const baselineGate = defineGate({
  id: 'baseline', phase: 'baseline', title: 'baseline model vs target and the naive baselines', requires: ['smoke'], runbook: 'runbooks/02_baseline.md',
  keyMetric: 'val_accuracy',
  thresholds: z.object({
    /** The decision of the 5-phase tree: at or above it, go straight to finalization. */
    target_val_accuracy: z.number().min(0).max(1).default(0.53),
    min_margin_over_majority: z.number().min(0).max(1).default(0.02),
    /** On a GPU, the seed's "verify GPU utilization > 60 %" during the baseline training (nvidia-smi's utilization.gpu, mean). */
    min_gpu_utilization: z.number().min(0).max(100).default(60),
  }).strict(),
  checks: [
    { metric: 'val_accuracy_seed_lo', op: '>=', threshold: 'target_val_accuracy' },
    { metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' } },
    { metric: 'val_accuracy', op: '>=', ref: { gate: 'baseline', metric: 'persistence_val_accuracy' } },
    {
      // the best constant on validation, not the training majority: when training's majority class is validation's
      // minority, a control that learned nothing but predicts the other class would otherwise look like a leak
      metric: 'shuffle_val_accuracy_lo', op: '<=', ref: { gate: 'baseline', metric: 'constant_val_accuracy' },
      why: 'leakage suspected: the same model trained on shuffled labels still beat every constant prediction on validation',
    },
    {
      metric: 'plausible', op: '==', threshold: 1,
      why: 'too good to be true: validation accuracy or AUC above the plausibility ceiling (gates.finalization.plausible_*) — leakage suspected until a person explains it (runbooks/05_finalization.md) and raises the ceiling in the config',
    },
    {
      metric: 'gpu_utilization_mean', op: '>=', threshold: 'min_gpu_utilization', waivedBy: 'gpu_check_waived',
      why: 'the GPU sat idle during the baseline training: the run is bound by per-op overhead or by its input, not by the GPU (a bigger batch, fewer and fused kernels, or lower gates.baseline.min_gpu_utilization to accept it)',
    },
  ],
  onFail: ['diagnostics', 'optimization'],
  skipOnPass: ['diagnostics', 'optimization'],
  async run(ctx) {
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const dir = ctx.artifact(join('models', ctx.run, 'baseline'));
    // on a GPU, what it did while the baseline trained (nvidia-smi, sampled in a process of its own)
    const onGpu = trainsOnGpu(currentBackend());
    const { result, gpu } = await sampledWhile(onGpu, () => trainModelRun({ frame, split, config: ctx.config, dir, callbacks: ctx.trainingCallbacks('baseline') }));
    result.model.dispose();
    const m = result.metrics;
    const accuracies = [m.val_accuracy];
    for (let k = 1; k < ctx.config.seeds; k++) {
      ctx.log(`    seed variance: seed ${ctx.config.seed + k} (${k + 1}/${ctx.config.seeds})`);
      const again = await trainModelRun({ frame, split, config: { ...ctx.config, seed: ctx.config.seed + k }, dir: join(dir, `seed-${k + 1}`) });
      again.model.dispose();
      accuracies.push(again.metrics.val_accuracy);
    }
    const seedStats = meanLowerBound(accuracies);
    ctx.log('    label-shuffle control: the same training on shuffled labels');
    const control = await labelControl(prepareModelData(frame, split, ctx.config), ctx.config.seed + 1, async (shuffled) =>
      createModel(ctx.config.model.family, ctx.config.model.params).fit(shuffled, { ...ctx.config.train, seed: ctx.config.seed }));
    return {
      metrics: {
        ...m,
        val_accuracy_seed_mean: seedStats.mean,
        val_accuracy_seed_lo: seedStats.lo,
        seeds: accuracies.length,
        shuffle_val_accuracy: control.accuracy,
        shuffle_val_accuracy_lo: control.lo,
        constant_val_accuracy: constantAccuracy(result.data),
        plausible: plausible(m.val_accuracy, m.val_roc_auc, ctx.plausibility()) ? 1 : 0,
        trained_on_gpu: onGpu ? 1 : 0,
        gpu_utilization_mean: gpu?.meanPercent ?? null,
        gpu_utilization_max: gpu?.maxPercent ?? null,
        gpu_memory_used_gb: gpu?.memoryUsedGb ?? null,
        gpu_samples: gpu?.samples ?? null,
        // nothing to judge on a CPU, or where nvidia-smi gave no samples (a GPU of another vendor)
        gpu_check_waived: gpu ? 0 : 1,
      },
      artifacts: modelFiles(dir),
      note: `model ${ctx.config.model.family} saved in ${dir}`,
    };
  },
});
