import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CalibratorState } from '../../eval/calibrate';
import { splitOfSymbol } from '../../split/symbols';
import { defineGate } from '../gate';
import { trainModelRun, type TrainRunResult } from '../modelRun';
import { calibrateOnVal, perSymbolChecks, splitSymbols, symbolGateChecks, SymbolThresholds, symbolSlug, testMetrics } from '../symbolJudge';
import { guardTestRead, recordTestRead } from '../testRead';

/**
 * Gate symbol_models (workflow `per-symbol`): one model per symbol — the config's model,
 * trained on that symbol's windows only (its scaler fitted on its own training rows),
 * calibrated on its validation windows — then the test split read once and each model
 * judged on its symbol's test windows: one record per symbol, and this gate's own record
 * by the k-of-n rule. Each symbol's model is saved with its calibrator (promotable).
 */
export const symbolModelsGate = defineGate({
  id: 'symbol_models', phase: 'symbols', title: 'a model per symbol; k of n symbols pass on test', requires: ['split'],
  runbook: 'runbooks/20_symbol_models.md', keyMetric: 'symbols_passed',
  thresholds: SymbolThresholds,
  checks: symbolGateChecks(),
  symbolChecks: perSymbolChecks('symbol_models'),
  async run(ctx, t) {
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const symbols = splitSymbols(split, 'symbol_models');
    const earlier = guardTestRead(ctx, split, 'symbol_models');
    const trained: Array<{ symbol: string; run: TrainRunResult; calibrator: CalibratorState }> = [];
    for (const [i, symbol] of symbols.entries()) {
      ctx.log(`    ${symbol} (${i + 1}/${symbols.length}): ${ctx.config.model.family} on its own windows`);
      const dir = ctx.artifact(join('models', ctx.run, 'symbol_models', symbolSlug(symbol)));
      const run = await trainModelRun({ frame, split: splitOfSymbol(split, symbol), config: ctx.config, dir, callbacks: ctx.trainingCallbacks(`symbol_models ${symbol}`) });
      trained.push({ symbol, run, calibrator: await calibrateOnVal(ctx, run.model, run.data) });
    }
    const reads = await recordTestRead(ctx, split, 'symbol_models', earlier);
    const perSymbol: Array<{ symbol: string; metrics: Record<string, number>; artifacts: string[] }> = [];
    for (const { symbol, run, calibrator } of trained) {
      const test = await testMetrics(ctx, run.model, run.data, run.data.test!, calibrator, t);
      run.model.save(run.dir, { calibrator, test, config: ctx.config, symbol });
      run.model.dispose();
      const files = [join(run.dir, 'model.json'), join(run.dir, 'weights.bin')];
      perSymbol.push({
        symbol,
        metrics: { ...run.metrics, ...test, model_exported: files.every((f) => existsSync(f)) ? 1 : 0 },
        artifacts: files,
      });
    }
    return {
      metrics: { test_reads: reads, symbols: symbols.length },
      artifacts: perSymbol.flatMap((s) => s.artifacts),
      perSymbol,
      note: perSymbol.map((s) => `${s.symbol} test ${s.metrics.test_accuracy.toFixed(4)} vs majority ${s.metrics.majority_test_accuracy.toFixed(4)}`).join('; '),
    };
  },
});
