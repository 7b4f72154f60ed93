import { describe, expect, it } from 'vitest';
import { diagnose, idleGpuOf, type DiagnosisInput } from '../../lib/eval/diagnose';
import { psi } from '../../lib/eval/drift';
import { meanLowerBound } from '../../lib/eval/honesty';
import { defaultConfig } from '../../lib/pipeline/configFile';
import { effectiveChanges, valueAt, withChanges } from '../../lib/util/dotted';
import { ksStatistic } from '../../lib/util/ks';
import type { EpochRecord } from '../../lib/train/loop';
import { Random } from '../../lib/util/random';

const epoch = (e: number, loss: number, valLoss: number): EpochRecord => ({
  epoch: e, loss, valLoss, valAccuracy: 0.5, learningRate: 1e-3, gradNorm: 1, samplesPerSecond: 1000, seconds: 1,
});
const base: Omit<DiagnosisInput, 'history'> = {
  metrics: {}, positiveRate: 0.5, maxPsi: 0.05,
  config: { learningRate: 1e-3, dropout: 0.2, units: 32, layers: 1, trainStride: 2, epochs: 20 },
};

describe('diagnose', () => {
  it('names overfitting and recommends more regularization first', () => {
    const d = diagnose({ ...base, history: [epoch(1, 0.69, 0.690), epoch(2, 0.66, 0.688), epoch(3, 0.62, 0.70), epoch(4, 0.58, 0.72)] });
    expect(d.primary).toBe('overfitting');
    expect(d.recommendations[0]).toMatchObject({ rank: 1, title: 'dropout 0.2 → 0.35', changes: { 'model.params.dropout': 0.35 } });
    expect(d.recommendations.length).toBeGreaterThanOrEqual(3);
    expect(d.recommendations.length).toBeLessThanOrEqual(5);
    expect(d.evidence[0]).toMatch(/validation loss rose from its best 0.6880 \(epoch 2\)/);
  });

  it('names underfitting, divergence and data quality', () => {
    expect(diagnose({ ...base, history: [epoch(1, 0.693, 0.693), epoch(2, 0.692, 0.693)] }).primary).toBe('underfitting');
    const nan = diagnose({ ...base, history: [], error: 'training diverged: loss NaN, gradient norm NaN at epoch 1' });
    expect(nan.primary).toBe('divergence');
    expect(nan.recommendations[0].changes).toEqual({ 'train.learningRate': 0.0003 });
    expect(diagnose({ ...base, positiveRate: 0.8, history: [epoch(1, 0.6, 0.6)] }).primary).toBe('data_quality');
    expect(diagnose({ ...base, maxPsi: 0.6, history: [epoch(1, 0.6, 0.6)] }).primary).toBe('data_quality');
  });

  it('names a GPU that sat idle as the primary issue when that was the baseline\'s only failure, and recommends more work a dispatch', () => {
    // the H200's baseline of 2026-11-30: every quality check passed, utilization 26.3 % against 60 %
    const checks = [
      { metric: 'val_accuracy_seed_lo', threshold: 0.53, value: 0.5817, pass: true },
      { metric: 'gpu_utilization_mean', threshold: 60, value: 26.3, pass: false },
    ];
    const idleGpu = idleGpuOf(checks);
    expect(idleGpu).toEqual({ meanPercent: 26.3, minPercent: 60, onlyFailure: true });
    const overfit = [epoch(1, 0.69, 0.672), epoch(2, 0.68, 0.678), epoch(3, 0.67, 0.686), epoch(4, 0.66, 0.69)];
    const d = diagnose({ ...base, config: { ...base.config, batchSize: 256 }, history: overfit, idleGpu, effective: defaultConfig() });
    expect(d.primary).toBe('resource_inefficiency');
    expect(d.evidence[0]).toBe("the GPU was busy 26.3 % of the baseline's training on average (nvidia-smi), where the baseline gate asks ≥ 60 %; every model-quality check of the baseline passed");
    expect(d.recommendations.map((r) => r.changes)).toEqual([
      { 'train.batchSize': 1024 },
      { 'train.batchSize': 2048, 'train.learningRate': 0.002 },
      { 'model.family': 'tcn', 'model.params': {} },
      { 'model.params.units': 64 },
    ]);
    // the same history without the GPU failure is overfitting, as before
    expect(diagnose({ ...base, history: overfit }).primary).toBe('overfitting');
    // a quality check failed as well: the model's issue stays primary, the idle GPU is evidence beside it
    const both = idleGpuOf([{ ...checks[0], pass: false }, checks[1]]);
    expect(both).toEqual({ meanPercent: 26.3, minPercent: 60, onlyFailure: false });
    const d2 = diagnose({ ...base, history: overfit, idleGpu: both });
    expect(d2.primary).toBe('overfitting');
    expect(d2.evidence.at(-1)).toMatch(/^also: the GPU was busy 26.3 %/);
    // a waived or passing utilization check is no idle GPU
    expect(idleGpuOf([{ metric: 'gpu_utilization_mean', threshold: null, value: null, pass: true }])).toBeUndefined();
    expect(idleGpuOf([{ metric: 'gpu_utilization_mean', threshold: 60, value: 71, pass: true }])).toBeUndefined();
  });

  it('applies recommendations as dotted config paths to a copy', () => {
    const config = { model: { params: { units: 32 } }, train: { learningRate: 1e-3 } };
    const changed = withChanges(config, { 'model.params.units': 64, 'train.schedule': { kind: 'cosine' } });
    expect(changed).toEqual({ model: { params: { units: 64 } }, train: { learningRate: 1e-3, schedule: { kind: 'cosine' } } });
    expect(config.model.params.units).toBe(32);
    expect(valueAt(changed, 'train.schedule.kind')).toBe('cosine');
    expect(valueAt(changed, 'train.nothing.here')).toBeUndefined();
    expect(effectiveChanges(config, { 'model.params.units': 32, 'train.learningRate': 3e-4, 'train.schedule': { kind: 'cosine' } }))
      .toEqual({ 'train.learningRate': 3e-4, 'train.schedule': { kind: 'cosine' } });
  });

  it('never recommends what the effective config already does (robust scaling and stationary features are the defaults)', () => {
    const effective = defaultConfig();
    const d = diagnose({ ...base, maxPsi: 0.6, history: [epoch(1, 0.6, 0.6)], effective });
    expect(d.primary).toBe('data_quality');
    expect(d.alreadyInEffect).toEqual(['robust scaling', 'stationary features only']);
    for (const r of d.recommendations) {
      expect(Object.keys(r.changes).length).toBeGreaterThan(0);
      expect(withChanges(effective, r.changes)).not.toEqual(effective); // each one alters the config
    }
    expect(d.recommendations.map((r) => r.title)).toEqual(['balanced sampling', 'train on every window (stride 2 → 1)', 'dropout 0.2 → 0.35']);
    expect(d.evidence.at(-1)).toMatch(/already in effect, not recommended again: robust scaling; stationary features only/);
  });

  it('leaves fewer than 3 when little can change, ranked as before (the gate then records the near-optimal branch)', () => {
    const effective = withChanges(defaultConfig(), { 'train.balanced': true, 'model.trainStride': 1, 'model.params': { layers: 1, units: 32, dropout: 0.35 } });
    const d = diagnose({ ...base, maxPsi: 0.6, history: [epoch(1, 0.6, 0.6)], effective, config: { ...base.config, trainStride: 1 } });
    expect(d.recommendations.map((r) => [r.rank, r.title])).toEqual([[1, 'reduce the learning rate on plateau']]);
  });
});

describe('drift', () => {
  it('PSI and KS are ~0 for the same distribution and large for a shifted one', () => {
    const r = new Random(3);
    const a = Float64Array.from({ length: 5000 }, () => r.normal());
    const b = Float64Array.from({ length: 5000 }, () => r.normal());
    const shifted = b.map((v) => v + 1);
    expect(psi(a, b)).toBeLessThan(0.02);
    expect(psi(a, shifted)).toBeGreaterThan(0.5);
    expect(ksStatistic(a, b)).toBeLessThan(0.04);
    expect(ksStatistic(a, shifted)).toBeGreaterThan(0.3);
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2], [3, 4])).toBe(1);
  });
});

describe('seed variance', () => {
  it('judges the lower bound of the mean over seeds (t-interval), the value itself for one seed', async () => {
    expect(meanLowerBound([0.55])).toEqual({ mean: 0.55, lo: 0.55 });
    const r = meanLowerBound([0.5, 0.6]);
    expect(r.mean).toBeCloseTo(0.55, 12);
    expect(r.lo).toBeCloseTo(0.55 - (12.706 * Math.sqrt(0.005)) / Math.sqrt(2), 9); // sd of {0.5, 0.6} = √0.005
  });
});
