import { join, resolve } from 'node:path';
import { latestByGate, ledgerPathOf, verifyLedger } from '../gates/ledger';
import { installKernelspec } from '../kernel/kernelspec';
import type { Gate } from '../pipeline/gate';
import { decisionSkips, lockArtifacts } from '../pipeline/runner';
import { workflowGates, workflowSteps, type WorkflowStep } from '../pipeline/workflows';
import { shareWithChildren } from '../util/lock';
import { packageRoot } from '../util/packageRoot';
import { runNotebook, type RunResult } from './run';

export interface NotebookPipelineResult {
  runs: Array<{ notebook: string; result: RunResult }>;
  failed: { notebook: string; result: RunResult } | null;
  /** What each gate of the workflow did in this run (ran, reused, skipped by decision), from the ledger. */
  marks: Map<string, string>;
}

/**
 * The pipeline through the workflow's notebooks: each runs headlessly on the gatebook
 * kernel (its kernelspec installed under <artifacts>/jupyter) and calls the same library
 * functions as `gatebook pipeline`, so both paths record the same gates. After each
 * notebook, the ledger says what happened to its gates: recorded now, or reused (a passing
 * record with unchanged inputs), or skipped by the decision tree. Stops at the first
 * notebook that fails; the executed notebooks are saved in <artifacts>/notebooks/.
 */
export async function runNotebookPipeline(o: { config?: string; workflow?: string; artifacts: string; ledger?: string; log: (line: string) => void }): Promise<NotebookPipelineResult> {
  const steps = workflowSteps(o.workflow);
  const gates = workflowGates(o.workflow);
  const artifacts = resolve(o.artifacts);
  const ledger = resolve(ledgerPathOf(artifacts, o.ledger));
  const prefix = join(artifacts, 'jupyter');
  installKernelspec({ prefix, name: 'gatebook' });
  process.env.JUPYTER_PATH = [join(prefix, 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(':');
  const params = [`artifacts=${artifacts}`, `ledger=${ledger}`, ...(o.config ? [`config=${resolve(o.config)}`] : [])];
  const lock = await lockArtifacts(artifacts, o.workflow ?? 'phases');
  shareWithChildren(lock); // the notebooks' kernels run their gates inside this run's lock
  try {
    return await runSteps(steps, gates, { params, artifacts, ledger, log: o.log });
  } finally {
    lock.release();
  }
}

async function runSteps(steps: readonly WorkflowStep[], gates: Gate[], o: { params: string[]; artifacts: string; ledger: string; log: (line: string) => void }): Promise<NotebookPipelineResult> {
  const { params, artifacts, ledger } = o;
  const runs: NotebookPipelineResult['runs'] = [];
  const marks = new Map<string, string>();
  for (const step of steps) {
    const path = join(packageRoot(), 'notebooks', `${step.notebook}.ipynb`);
    const before = verifyLedger(ledger).records.length;
    o.log(`▶ ${step.notebook}.ipynb`);
    const result = await runNotebook(path, { params, out: join(artifacts, 'notebooks', `${step.notebook}.ipynb`) });
    runs.push({ notebook: step.notebook, result });
    o.log(`  ${result.ok ? '✓' : '✗'} ${step.notebook}: ${result.executed} cell(s) in ${result.seconds.toFixed(1)} s → ${result.out}`);
    const records = verifyLedger(ledger).records;
    const fresh = latestByGate(records.slice(before));
    const skipped = decisionSkips(latestByGate(records), gates);
    for (const gate of step.gates) {
      const now = fresh.get(gate);
      const earlier = latestByGate(records).get(gate);
      const mark = now ? 'ran' : !result.ok ? 'not reached' : skipped.has(gate) ? 'skipped by decision' : earlier?.status === 'pass' ? 'reused: unchanged inputs' : 'not run';
      marks.set(gate, mark);
      if (now) o.log(`    ${now.status === 'pass' ? '✓' : '✗'} ${gate}: ${now.status} (ran, ${now.duration_s.toFixed(1)} s)`);
      else if (mark === 'reused: unchanged inputs') o.log(`    ✓ ${gate}: skipped — unchanged inputs (code, config, data) since it passed at ${earlier!.finished} (record ${earlier!.hash.slice(0, 10)}…)`);
      else if (mark === 'skipped by decision') o.log(`    – ${gate}: skipped by the decision tree`);
    }
    if (!result.ok) return { runs, failed: { notebook: step.notebook, result }, marks };
  }
  return { runs, failed: null, marks };
}
