import { join } from 'node:path';
import type { Classifier } from '../../models/classifier';
import { predictLinear } from '../../models/linear';
import { MiniRocketModel } from '../../models/minirocketModel';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';
import { judgedMetrics } from './modelGate';

/**
 * Gate minirocket (the seed's gate 2, the classical control): MiniRocket features of the
 * model's windows and a linear head, judged like every model; its label-shuffle control
 * refits the head on the same features with shuffled labels.
 */
export async function minirocketPhase(ctx: RunContext): Promise<PhaseOutput> {
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
  const metrics = await judgedMetrics(ctx, data, pVal, async (shuffled) => {
    const head = await model.fitHead(Array.from(shuffled.train, (e) => shuffled.source.labels[e]), Array.from(shuffled.val, (e) => shuffled.source.labels[e]), { ...ctx.config.train, seed: ctx.config.seed });
    const p = predictLinear(head, features.val, data.val.length);
    return { predictProba: () => p, dispose: () => {} } as unknown as Classifier; // validation features are already transformed
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
    } as Record<string, number | null>,
    artifacts: [join(dir, 'model.json')],
    note: `MiniRocket ${features.columns} features + ${head.kind}${head.alpha ? ` (alpha ${head.alpha.toPrecision(3)} by leave-one-out)` : ''}, saved in ${dir}`,
  };
}
