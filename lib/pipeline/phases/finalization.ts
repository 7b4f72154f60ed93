import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { frameSha256 } from '../../data/dataset';
import { applyCalibrator, fitCalibrator } from '../../eval/calibrate';
import { evaluateProbabilities } from '../../eval/evaluate';
import { mcnemar } from '../../eval/significance';
import { assertTestUnread, recordTestRead } from '../../eval/testGuard';
import { readModelDir } from '../../models/io';
import type { NeuralModel } from '../../models/neural';
import { loadSplit } from '../../split/splitFile';
import { accuracyOf, trainModelRun } from '../../train/experiment';
import { MajorityModel, PersistenceModel } from '../../models/naive';
import { writeFileAtomic } from '../../util/atomic';
import { plausible } from './signoff';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';
import { epochLog } from './training';
import { formatTestResults } from './testResults';

/**
 * Gate finalization: train the current model's family and params again with extended
 * patience, calibrate it on validation, read the test split — once; a second read is
 * refused — export the model with its calibrator, and write test_results.md.
 */
export async function finalizationPhase(ctx: RunContext): Promise<PhaseOutput> {
  const frame = ctx.featureFrame();
  const split = loadSplit(ctx.artifact('split.json'), frameSha256(frame));
  const current = readModelDir(ctx.currentModelDir()).meta;
  const dir = ctx.artifact(join('models', ctx.run, 'final'));
  const { epochs, patience, allowTestReread } = ctx.config.finalization;
  const testKey = `${split.dataSha256}:${split.test.start}-${split.test.end}`;
  assertTestUnread(ctx.artifact('test_reads.json'), testKey, allowTestReread); // fail before training, not after
  const run = await trainModelRun({
    frame, split, config: ctx.config, dir, family: current.family, params: current.params,
    train: { epochs, patience }, callbacks: epochLog(ctx),
  });
  const model = run.model as NeuralModel<Record<string, unknown>>;
  const { data } = run;
  const labels = (ends: Int32Array) => Array.from(ends, (e) => data.source.labels[e]);
  const { method, bins } = ctx.config.calibration;
  const calibrator = fitCalibrator(method, labels(data.val), Array.from(model.predictProba(data.source, data.val)));

  const reads = recordTestRead(ctx.artifact('test_reads.json'), testKey, ctx.run, allowTestReread);
  const test = data.test!;
  const yTest = labels(test);
  const pTest = applyCalibrator(calibrator, model.predictProba(data.source, test));
  const metrics = evaluateProbabilities(yTest, pTest, { prefix: 'test_', bins, seed: ctx.config.seed });
  const majority = await new MajorityModel().fit(data);
  const majorityTest = accuracyOf(majority, data, test);
  const persistenceTest = accuracyOf(new PersistenceModel().restore(), data, test);
  const votes = (q: ArrayLike<number>) => Array.from(q, (v) => (v > 0.5 ? 1 : 0));
  const vsMajority = mcnemar(yTest, votes(pTest), votes(majority.predictProba(data.source, test)));
  const vsPersistence = mcnemar(yTest, votes(pTest), votes(new PersistenceModel().restore().predictProba(data.source, test, data.lastMove)));
  const t = ctx.config.gates.finalization;
  const isPlausible = plausible(metrics.test_accuracy, metrics.test_roc_auc, t);
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
    plausible: isPlausible ? 1 : 0,
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
}
