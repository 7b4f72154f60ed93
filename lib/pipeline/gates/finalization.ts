import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { applyCalibrator } from '../../eval/calibrate';
import { accuracyOf, evaluateProbabilities } from '../../eval/evaluate';
import { plausible, PlausibilityCeilings } from '../../eval/honesty';
import { mcnemar } from '../../eval/significance';
import { MajorityModel, PersistenceModel, readModelDir } from '../../models';
import { writeFileAtomic } from '../../util/atomic';
import { defineGate } from '../gate';
import { trainModelRun } from '../modelRun';
import { formatTestResults } from '../testResults';
import { calibrateOnVal } from '../symbolJudge';
import { guardTestRead, recordTestRead } from '../testRead';

export { TEST_READ } from '../testRead';

/**
 * Gate finalization: train the current model's family and params again with extended
 * patience, calibrate it on validation, read the test split — once; a second read is
 * refused — export the model with its calibrator, and write test_results.md.
 */
export const finalizationGate = defineGate({
  id: 'finalization', phase: 'finalization', title: 'final model, test split read once, promotion checks', requires: ['calibration'],
  runbook: 'runbooks/05_finalization.md', keyMetric: 'test_accuracy',
  thresholds: z.object({
    min_test_accuracy: z.number().min(0).max(1).default(0.52),
    min_margin_over_majority: z.number().min(0).max(1).default(0.0),
    /** "beats the naive baselines with significance": McNemar's exact test vs majority and vs persistence */
    max_p_value: z.number().min(0).max(1).default(0.05),
    /** the seeds' promotion check, on the test ECE itself (the calibration gate judges the upper bound) */
    max_test_ece: z.number().positive().default(0.05),
    /** The seeds' "at least k of n symbols pass". */
    min_symbols_passing: z.number().int().positive().default(1),
  }).merge(PlausibilityCeilings).strict(),
  checks: [
    { metric: 'test_reads', op: '==', threshold: 1 },
    { metric: 'test_accuracy', op: '>=', threshold: 'min_test_accuracy' },
    { metric: 'test_accuracy', op: '>=', ref: { gate: 'finalization', metric: 'majority_test_accuracy', offset: 'min_margin_over_majority' } },
    { metric: 'p_value_vs_majority', op: '<=', threshold: 'max_p_value' },
    { metric: 'test_accuracy', op: '>=', ref: { gate: 'finalization', metric: 'persistence_test_accuracy' } },
    { metric: 'p_value_vs_persistence', op: '<=', threshold: 'max_p_value' },
    { metric: 'test_ece', op: '<=', threshold: 'max_test_ece' },
    { metric: 'plausible', op: '==', threshold: 1, why: 'too good to be true: leakage suspected until a person explains it (runbooks/05_finalization.md) and raises gates.finalization.plausible_* in the config' },
    { metric: 'symbols_passing', op: '>=', threshold: 'min_symbols_passing' },
    { metric: 'model_exported', op: '==', threshold: 1 },
  ],
  async run(ctx, t) {
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const current = readModelDir(ctx.currentModelDir()).meta;
    const dir = ctx.artifact(join('models', ctx.run, 'final'));
    const { epochs, patience } = ctx.config.finalization;
    const earlier = guardTestRead(ctx, split, 'finalization'); // fail before training, not after
    const run = await trainModelRun({
      frame, split, config: ctx.config, dir, family: current.family, params: current.params,
      train: { epochs, patience }, callbacks: ctx.trainingCallbacks('finalization'),
    });
    const { model, data } = run;
    const labels = (ends: Int32Array) => Array.from(ends, (e) => data.source.labels[e]);
    const { method, bins } = ctx.config.calibration;
    const calibrator = await calibrateOnVal(ctx, model, data);

    // the read is in the ledger before it happens: a crash from here on is visible, counted, and never resets the guard
    const reads = await recordTestRead(ctx, split, 'finalization', earlier);
    const test = data.test!;
    const yTest = labels(test);
    const pTest = applyCalibrator(calibrator, await model.predictProba(data.source, test, data.lastMove));
    const metrics = evaluateProbabilities(yTest, pTest, { prefix: 'test_', bins, seed: ctx.config.seed });
    const majority = await new MajorityModel().fit(data);
    const persistence = await new PersistenceModel().fit(data);
    const majorityTest = await accuracyOf(majority, data, test);
    const persistenceTest = await accuracyOf(persistence, data, test);
    const votes = (q: ArrayLike<number>) => Array.from(q, (v) => (v > 0.5 ? 1 : 0));
    const vsMajority = mcnemar(yTest, votes(pTest), votes(await majority.predictProba(data.source, test)));
    const vsPersistence = mcnemar(yTest, votes(pTest), votes(await persistence.predictProba(data.source, test, data.lastMove)));
    const passes = metrics.test_accuracy >= t.min_test_accuracy && metrics.test_ece <= t.max_test_ece; // per symbol (one here)
    model.save(dir, { calibrator, test: metrics, config: ctx.config });
    model.dispose();
    const all: Record<string, number> = {
      ...metrics,
      majority_test_accuracy: majorityTest,
      persistence_test_accuracy: persistenceTest,
      p_value_vs_majority: vsMajority.pValue,
      p_value_vs_persistence: vsPersistence.pValue,
      test_reads: reads,
      model_exported: existsSync(join(dir, 'weights.bin')) ? 1 : 0,
      plausible: plausible(metrics.test_accuracy, metrics.test_roc_auc, t) ? 1 : 0,
      symbols_passing: passes ? 1 : 0,
      val_accuracy: run.metrics.val_accuracy,
      epochs: run.metrics.epochs,
    };
    const report = ctx.artifact(join('reports', 'test_results.md'));
    writeFileAtomic(report, formatTestResults(all, { model: dir, family: current.family, calibration: method, run: ctx.run }));
    return {
      metrics: all,
      artifacts: [join(dir, 'model.json'), join(dir, 'weights.bin'), report],
      note: `test accuracy ${metrics.test_accuracy.toFixed(4)} [${metrics.test_accuracy_lo.toFixed(4)}, ${metrics.test_accuracy_hi.toFixed(4)}] vs majority ${majorityTest.toFixed(4)} (McNemar p = ${vsMajority.pValue.toFixed(3)}); ECE ${metrics.test_ece.toFixed(4)}; report ${report}`,
    };
  },
});
