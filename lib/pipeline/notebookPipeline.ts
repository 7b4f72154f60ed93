import { join, resolve } from 'node:path';
import { installKernelspec } from '../kernel/kernelspec';
import { runNotebook, type RunResult } from '../notebook/run';
import { packageRoot } from '../data/embedded';
import { InputError } from '../util/errors';

/** The phase notebooks, in the order the 5-phase workflow walks them. */
export const PHASE_NOTEBOOKS = ['00_env', '01_data', '02_features', '03_baseline', '04_diagnostics', '05_optimization', '06_calibration', '07_finalize'];
/** The gated workflow's notebooks (gates 1–7 after the shared env, data and features notebooks). */
export const GATED_NOTEBOOKS = ['00_env', '01_data', '02_features', '10_smoke', '11_minirocket_control', '12_pretrain', '13_finetune', '14_augment', '15_simple_lstm', '16_ensemble'];
const NOTEBOOKS: Record<string, string[]> = { phases: PHASE_NOTEBOOKS, gated: GATED_NOTEBOOKS };

export interface NotebookPipelineResult {
  runs: Array<{ notebook: string; result: RunResult }>;
  failed: { notebook: string; result: RunResult } | null;
}

/**
 * The pipeline through the phase notebooks: each runs headlessly on the gatebook kernel
 * (its kernelspec installed under <artifacts>/jupyter) and calls the same library functions
 * as `gatebook pipeline`, so both paths record the same gates. Stops at the first notebook
 * that fails; the executed notebooks are saved in <artifacts>/notebooks/.
 */
export async function runNotebookPipeline(o: { config?: string; workflow?: string; artifacts: string; log: (line: string) => void }): Promise<NotebookPipelineResult> {
  const notebooks = NOTEBOOKS[o.workflow ?? 'phases'];
  if (!notebooks) throw new InputError(`invalid --workflow: ${o.workflow} (expected one of ${Object.keys(NOTEBOOKS).join(', ')})`);
  const artifacts = resolve(o.artifacts);
  const prefix = join(artifacts, 'jupyter');
  installKernelspec({ prefix, name: 'gatebook' });
  process.env.JUPYTER_PATH = [join(prefix, 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(':');
  const params = [`artifacts=${artifacts}`, ...(o.config ? [`config=${resolve(o.config)}`] : [])];
  const runs: NotebookPipelineResult['runs'] = [];
  for (const name of notebooks) {
    const path = join(packageRoot(), 'notebooks', `${name}.ipynb`);
    o.log(`▶ ${name}.ipynb`);
    const result = await runNotebook(path, { params, out: join(artifacts, 'notebooks', `${name}.ipynb`) });
    runs.push({ notebook: name, result });
    o.log(`  ${result.ok ? '✓' : '✗'} ${name}: ${result.executed} cell(s) in ${result.seconds.toFixed(1)} s → ${result.out}`);
    if (!result.ok) return { runs, failed: { notebook: name, result } };
  }
  return { runs, failed: null };
}
