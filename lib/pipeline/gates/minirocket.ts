import { join } from 'node:path';
import { z } from 'zod';
import { MINIROCKET_MIN_WINDOW, MiniRocketModel, predictLinear } from '../../models';
import { InputError } from '../../util/errors';
import { defineGate } from '../gate';
import { honestyChecks, judgeModel, marginOverMajority } from '../judgeModel';

/**
 * Gate minirocket (the seed's gate 2, the classical control): MiniRocket features of the
 * model's windows and a linear head, judged like every model; its label-shuffle control
 * refits the head on the same features with shuffled labels. A control may lose to the
 * naive baselines (recorded); it fails only on a leak.
 */
export const minirocketGate = defineGate({
  id: 'minirocket', phase: 'gated', title: 'MiniRocket control recorded, no leak', requires: ['baseline'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'val_f1',
  thresholds: z.object({ min_margin_over_majority: marginOverMajority }).strict(),
  checks: honestyChecks('minirocket', { control: true }),
  async run(ctx) {
    if (ctx.config.split.window < MINIROCKET_MIN_WINDOW) {
      throw new InputError(`split.window = ${ctx.config.split.window}: MiniRocket's kernels span ${MINIROCKET_MIN_WINDOW} steps; set split.window to at least ${MINIROCKET_MIN_WINDOW} for the gated workflow`);
    }
    const data = ctx.modelData();
    // the purge between CV blocks: the window and the label's horizon
    const model = new MiniRocketModel({ ...ctx.config.workflow.minirocket, cvPurgeBars: data.window + ctx.config.features.horizon });
    const started = performance.now();
    let logged = 0;
    await model.fit(data, {
      ...ctx.config.train, seed: ctx.config.seed,
      onProgress: (done, total) => {
        if (done - logged >= 2000 || done === total) ctx.log(`    transformed ${(logged = done)}/${total} windows`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const dir = ctx.artifact(join('models', ctx.run, 'minirocket'));
    model.save(dir, { config: ctx.config });
    const features = model.features!;
    const pVal = predictLinear(model.linearHead!, features.val, data.val.length);
    const metrics = await judgeModel(ctx, data, pVal, async (shuffled) => {
      const head = await model.fitHead(Array.from(shuffled.train, (e) => shuffled.source.labels[e]), Array.from(shuffled.val, (e) => shuffled.source.labels[e]), { ...ctx.config.train, seed: ctx.config.seed });
      const p = predictLinear(head, features.val, data.val.length);
      return { predictProba: async () => p, dispose: () => {} }; // validation features are already transformed
    });
    const head = model.linearHead!;
    model.dispose();
    return {
      metrics: {
        ...metrics,
        features: features.columns,
        ridge: head.kind === 'ridge' ? 1 : 0,
        alpha: head.alpha ?? null,
        fit_seconds: seconds,
        windows_per_second: (data.train.length + data.val.length) / seconds,
      },
      artifacts: [join(dir, 'model.json')],
      note: `MiniRocket ${features.columns} features + ${head.kind}${head.alpha ? ` (alpha ${head.alpha.toPrecision(3)} by blocked cross-validation)` : ''}, saved in ${dir}`,
    };
  },
});
