import { InputError } from '../util/errors';
import type { Gate } from './gate';
import { gateById } from './gates';

/** One notebook of a workflow and the gates its last cell records. */
export interface WorkflowStep {
  notebook: string;
  gates: readonly string[];
}

/**
 * The workflows `gatebook pipeline --workflow` runs: each a list of steps, a notebook and
 * the gates it records, in one table — the CLI path runs the gates (in dependency order),
 * the notebook path (`--notebooks`) runs the notebooks. `phases`: the 5-phase decision tree
 * (baseline → diagnostics → optimization, or straight to calibration and finalization).
 * `gated`: the seed's eight gates — 0 env, 1 smoke (+ the baseline it compares with), 2
 * MiniRocket control, 3 pretraining, 4 fine-tuning, 5 augmentation, 6 simple LSTM, 7 ensemble.
 * `per-symbol` / `multi-symbol` (several symbols): a model per symbol, or one model over all
 * of them, each judged per symbol on test and promoted by the k-of-n rule.
 */
export const WORKFLOWS: Readonly<Record<string, readonly WorkflowStep[]>> = {
  phases: [
    { notebook: '00_env', gates: ['env'] },
    { notebook: '01_data', gates: ['data'] },
    { notebook: '02_features', gates: ['features', 'split'] },
    { notebook: '03_baseline', gates: ['smoke', 'baseline'] },
    { notebook: '04_diagnostics', gates: ['diagnostics'] },
    { notebook: '05_optimization', gates: ['optimization'] },
    { notebook: '06_calibration', gates: ['calibration'] },
    { notebook: '07_finalize', gates: ['finalization'] },
  ],
  gated: [
    { notebook: '00_env', gates: ['env'] },
    { notebook: '01_data', gates: ['data'] },
    { notebook: '02_features', gates: ['features', 'split'] },
    { notebook: '10_smoke', gates: ['smoke', 'baseline'] },
    { notebook: '11_minirocket_control', gates: ['minirocket'] },
    { notebook: '12_pretrain', gates: ['pretrain'] },
    { notebook: '13_finetune', gates: ['finetune'] },
    { notebook: '14_augment', gates: ['augment'] },
    { notebook: '15_simple_lstm', gates: ['simple_lstm'] },
    { notebook: '16_ensemble', gates: ['ensemble'] },
  ],
  'per-symbol': [
    { notebook: '00_env', gates: ['env'] },
    { notebook: '01_data', gates: ['data'] },
    { notebook: '02_features', gates: ['features', 'split'] },
    { notebook: '23_symbol_models', gates: ['symbol_models'] },
  ],
  'multi-symbol': [
    { notebook: '00_env', gates: ['env'] },
    { notebook: '01_data', gates: ['data'] },
    { notebook: '02_features', gates: ['features', 'split'] },
    { notebook: '24_multi_symbol', gates: ['multi_symbol'] },
  ],
};

export function workflowSteps(name = 'phases'): readonly WorkflowStep[] {
  const steps = WORKFLOWS[name];
  if (!steps) throw new InputError(`invalid --workflow: ${name} (expected one of ${Object.keys(WORKFLOWS).join(', ')})`);
  return steps;
}

/** The gates of a workflow. */
export function workflowGates(name = 'phases'): Gate[] {
  return workflowSteps(name).flatMap((s) => s.gates.map((id) => gateById(id) ?? missing(name, id)));
}

function missing(workflow: string, id: string): never {
  throw new Error(`workflow ${workflow} names gate ${id}, which is not in the gate table (lib/pipeline/gates/index.ts)`);
}
