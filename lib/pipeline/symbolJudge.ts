import { z } from 'zod';
import { applyCalibrator, fitCalibrator, type CalibratorState } from '../eval/calibrate';
import { accuracyOf, evaluateProbabilities } from '../eval/evaluate';
import { plausible, PlausibilityCeilings } from '../eval/honesty';
import type { CheckSpec } from '../gates/spec';
import { MajorityModel, PersistenceModel, type Classifier } from '../models';
import type { SplitFile } from '../split/splitFile';
import type { PreparedData } from '../tensors/prepare';
import { InputError } from '../util/errors';
import type { RunContext } from './context';

/*
 * How the gates over several symbols (symbol_models, multi_symbol) judge: each symbol's
 * model on that symbol's test windows (one record per symbol), and the gate by the k-of-n
 * rule over them — the seeds' "promote when at least 2 of 3 symbols pass".
 */

/** `gates.<symbol gate>`: k of the k-of-n rule, and what each symbol must reach on its test windows. */
export const SymbolThresholds = z.object({
  /** k: at least this many symbols must pass (2 of 3 by default) */
  min_symbols_passed: z.number().int().min(1).default(2),
  min_test_accuracy: z.number().min(0).max(1).default(0.5),
  min_margin_over_majority: z.number().min(0).max(1).default(0),
}).merge(PlausibilityCeilings).strict();

type Name = Extract<keyof z.infer<typeof SymbolThresholds>, string>;

/** The checks of the gate's own record: the test split read once, k of n symbols passed. */
export function symbolGateChecks(): Array<CheckSpec<Name>> {
  return [
    { metric: 'test_reads', op: '==', threshold: 1 },
    { metric: 'symbols_passed', op: '>=', threshold: 'min_symbols_passed', why: 'fewer symbols passed than the k-of-n rule asks (gates.<gate>.min_symbols_passed)' },
  ];
}

/** The checks of each symbol's record, on its own test windows. */
export function perSymbolChecks(gate: string): Array<CheckSpec<Name>> {
  return [
    { metric: 'test_accuracy', op: '>=', threshold: 'min_test_accuracy' },
    { metric: 'test_accuracy', op: '>=', ref: { gate, metric: 'majority_test_accuracy', offset: 'min_margin_over_majority' } },
    { metric: 'plausible', op: '==', threshold: 1, why: 'too good to be true: leakage suspected until a person explains it and raises the plausibility ceilings' },
    { metric: 'model_exported', op: '==', threshold: 1 },
  ];
}

/** The symbols of a recorded split; a gate over several symbols refuses a single-symbol split. */
export function splitSymbols(split: SplitFile, gate: string): string[] {
  const symbols = split.symbols?.map((s) => s.symbol) ?? [];
  if (symbols.length < 2) {
    throw new InputError(`gate ${gate} needs a dataset of several symbols (the split has ${symbols.length || 1}): use data: { source: embedded, variant: three-symbol }, synthetic-symbols, a file with a symbol column, or files: one per symbol`);
  }
  return symbols;
}

/** A calibrator fitted on a model's validation windows (the config's method): the finalization and symbol gates. */
export async function calibrateOnVal(ctx: RunContext, model: Classifier, data: PreparedData): Promise<CalibratorState> {
  const p = await model.predictProba(data.source, data.val, data.lastMove);
  return fitCalibrator(ctx.config.calibration.method, Array.from(data.val, (e) => data.source.labels[e]), Array.from(p));
}

/**
 * A calibrated model on test windows `ends`: accuracy (with its interval), ECE, AUC, … —
 * and the majority class and persistence rule (fitted on `data`'s training windows) on the same windows.
 */
export async function testMetrics(ctx: RunContext, model: Classifier, data: PreparedData, ends: Int32Array, calibrator: CalibratorState, ceilings: PlausibilityCeilings): Promise<Record<string, number>> {
  const y = Array.from(ends, (e) => data.source.labels[e]);
  const p = applyCalibrator(calibrator, await model.predictProba(data.source, ends, data.lastMove));
  const metrics = evaluateProbabilities(y, p, { prefix: 'test_', bins: ctx.config.calibration.bins, seed: ctx.config.seed });
  return {
    ...metrics,
    majority_test_accuracy: await accuracyOf(await new MajorityModel().fit(data), data, ends),
    persistence_test_accuracy: await accuracyOf(await new PersistenceModel().fit(data), data, ends),
    plausible: plausible(metrics.test_accuracy, metrics.test_roc_auc, ceilings) ? 1 : 0,
    test_windows: ends.length,
  };
}

/** A symbol as one folder name (BTC/USD → BTC-USD). */
export function symbolSlug(symbol: string): string {
  return symbol.replace(/[^A-Za-z0-9_.-]+/g, '-');
}
