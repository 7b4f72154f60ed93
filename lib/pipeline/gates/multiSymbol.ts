import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { symbolIndicatorNames } from '../../features/symbolColumns';
import { splitOfSymbol } from '../../split/symbols';
import { partEnds } from '../../tensors/prepare';
import { defineGate } from '../gate';
import { modelFeatures, trainModelRun } from '../modelRun';
import { calibrateOnVal, perSymbolChecks, splitSymbols, symbolGateChecks, SymbolThresholds, testMetrics } from '../symbolJudge';
import { guardTestRead, recordTestRead } from '../testRead';

/**
 * Gate multi_symbol (workflow `multi-symbol`): one model for every symbol — by default the
 * transformer, reading the config's features plus one indicator per symbol (`symbol=<S>`,
 * which its input projection turns into a learned symbol embedding) — trained on all
 * symbols' windows (none crosses a symbol), calibrated on validation, then the test split
 * read once and the model judged on each symbol's test windows: one record per symbol, and
 * this gate's own record by the k-of-n rule. The model is saved with its calibrator.
 */
export const multiSymbolGate = defineGate({
  id: 'multi_symbol', phase: 'symbols', title: 'one model over all symbols; k of n symbols pass on test', requires: ['split'],
  runbook: 'runbooks/21_multi_symbol.md', keyMetric: 'symbols_passed',
  thresholds: SymbolThresholds,
  checks: [...symbolGateChecks(), { metric: 'model_exported', op: '==', threshold: 1 }],
  symbolChecks: perSymbolChecks('multi_symbol'),
  async run(ctx, t) {
    const frame = ctx.featureFrame();
    const split = ctx.split();
    const symbols = splitSymbols(split, 'multi_symbol');
    const earlier = guardTestRead(ctx, split, 'multi_symbol');
    const { family, params } = ctx.config.workflow.multiSymbol;
    const dir = ctx.artifact(join('models', ctx.run, 'multi_symbol'));
    ctx.log(`    ${family} over ${symbols.join(', ')} (a learned embedding of each symbol)`);
    const run = await trainModelRun({
      frame, split, config: ctx.config, dir, family, params,
      featureNames: [...modelFeatures(ctx.config), ...symbolIndicatorNames(symbols)],
      callbacks: ctx.trainingCallbacks('multi_symbol'),
    });
    const calibrator = await calibrateOnVal(ctx, run.model, run.data);
    const reads = await recordTestRead(ctx, split, 'multi_symbol', earlier);
    const all = await testMetrics(ctx, run.model, run.data, run.data.test!, calibrator, t);
    const perSymbol: Array<{ symbol: string; metrics: Record<string, number>; artifacts: string[] }> = [];
    for (const symbol of symbols) {
      const ends = partEnds(splitOfSymbol(split, symbol), 'test', run.data.window);
      perSymbol.push({ symbol, metrics: await testMetrics(ctx, run.model, run.data, ends, calibrator, t), artifacts: [] });
    }
    run.model.save(dir, { calibrator, test: all, config: ctx.config, symbols });
    run.model.dispose();
    const files = [join(dir, 'model.json'), join(dir, 'weights.bin')];
    const exported = files.every((f) => existsSync(f)) ? 1 : 0;
    for (const s of perSymbol) s.metrics.model_exported = exported;
    return {
      metrics: { ...run.metrics, ...all, test_reads: reads, symbols: symbols.length, model_exported: exported },
      artifacts: files,
      perSymbol,
      note: `all symbols: test ${all.test_accuracy.toFixed(4)} vs majority ${all.majority_test_accuracy.toFixed(4)}; ` +
        perSymbol.map((s) => `${s.symbol} ${s.metrics.test_accuracy.toFixed(4)}`).join(', '),
    };
  },
});
