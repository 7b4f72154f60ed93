import { z } from 'zod';
import { defineGate } from '../gate';
import { trainFromEncoder } from '../fromEncoder';
import { honestyChecks, marginOverMajority } from '../judgeModel';

/**
 * Gate finetune (the seed's gate 4): a BiLSTM classifier started from the pretrained
 * encoder, fine-tuned in two phases; its validation F1 must beat the baseline's.
 */
export const finetuneGate = defineGate({
  id: 'finetune', phase: 'gated', title: 'pretrained BiLSTM fine-tuned in two phases, F1 above the baseline', requires: ['pretrain', 'baseline'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
  thresholds: z.object({
    min_margin_over_majority: marginOverMajority,
    /** the seed's "F1 > baseline": val F1 above the baseline's by more than this (negative: within) */
    min_f1_over_baseline: z.number().min(-1).max(1).default(0),
  }).strict(),
  checks: [{ metric: 'val_f1', op: '>', ref: { gate: 'baseline', metric: 'val_f1', offset: 'min_f1_over_baseline' } }, ...honestyChecks('finetune')],
  async run(ctx) {
    const out = await trainFromEncoder(ctx, ctx.modelData(), 'finetune');
    return { ...out, note: `fine-tuned from ${ctx.modelDirOfGate('pretrain')}, saved in ${out.dir}` };
  },
});
