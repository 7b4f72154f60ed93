import { join } from 'node:path';
import { z } from 'zod';
import { augmentTrainingSet } from '../../tensors/augment';
import { writeFileAtomic } from '../../util/atomic';
import { defineGate } from '../gate';
import { trainFromEncoder } from '../fromEncoder';
import { honestyChecks, lastEndBeforeTail, marginOverMajority } from '../judgeModel';

/**
 * Gate augment (the seed's gate 5): augmented training windows (jitter, scaling, magnitude
 * warp, time warp, window slicing), each method kept only when its windows match the real
 * feature distributions (KS per feature); the fine-tuning of gate 4 repeated on real + kept
 * windows, judged on the same (real) validation windows.
 */
export const augmentGate = defineGate({
  id: 'augment', phase: 'gated', title: 'augmented windows match the real distributions; model trained on them', requires: ['finetune'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
  thresholds: z.object({
    /** at least this share of the augmented windows passes the distribution check */
    min_kept_fraction: z.number().min(0).max(1).default(0.4),
    min_margin_over_majority: marginOverMajority,
  }).strict(),
  checks: [{ metric: 'kept_fraction', op: '>=', threshold: 'min_kept_fraction' }, ...honestyChecks('augment')],
  async run(ctx) {
    const base = ctx.modelData();
    // only windows before the early-stopping tail are augmented (a copy of a tail window in training would leak it)
    const cut = lastEndBeforeTail(ctx, base);
    const head = { ...base, train: base.train.filter((e) => e <= cut) };
    const { data: augmented, report } = augmentTrainingSet(head, ctx.config.workflow.augment, ctx.config.seed);
    const data = { ...augmented, train: Int32Array.from([...augmented.train, ...base.train.filter((e) => e > cut)]) };
    const generated = report.reduce((s, r) => s + r.generated, 0);
    const kept = report.reduce((s, r) => s + r.kept, 0);
    for (const r of report) ctx.log(`    ${r.method}: ${r.kept}/${r.generated} kept (worst KS ${r.maxKs.toFixed(3)} on ${r.feature})`);
    const dir = ctx.artifact(join('models', ctx.run, 'augment'));
    const reportPath = join(dir, '..', 'augment_report.json');
    const out = await trainFromEncoder(ctx, data, 'augment', base);
    writeFileAtomic(reportPath, JSON.stringify({ maxKs: ctx.config.workflow.augment.maxKs, methods: report }, null, 2) + '\n');
    const perMethod = Object.fromEntries(report.flatMap((r) => [[`kept_${r.method}`, r.kept], [`ks_${r.method}`, r.maxKs]]));
    const finetuneF1 = ctx.latest.get('finetune')?.metrics.val_f1;
    return {
      metrics: {
        ...out.metrics, ...perMethod,
        generated_windows: generated, kept_windows: kept, dropped_windows: generated - kept,
        kept_fraction: generated ? kept / generated : 0,
        val_f1_vs_finetune: typeof finetuneF1 === 'number' ? out.metrics.val_f1! - finetuneF1 : null,
      },
      artifacts: [...out.artifacts, reportPath],
      note: `${kept} of ${generated} augmented windows kept (+${Math.round((100 * kept) / base.train.length)} % training windows); model saved in ${out.dir}`,
    };
  },
});
