import { GATES } from '../gates/definitions';
import type { GateId, GateSpec } from '../gates/spec';
import { InputError } from '../util/errors';

/**
 * The workflows `gatebook pipeline --workflow` runs, as lists of gates (run in dependency
 * order). `phases`: the 5-phase decision tree (baseline → diagnostics → optimization, or
 * straight to calibration and finalization). `gated`: the seed's eight gates — 0 env,
 * 1 smoke (+ the baseline it compares with), 2 MiniRocket control, 3 pretraining, 4
 * fine-tuning, 5 augmentation, 6 simple LSTM, 7 ensemble — after data, features and split.
 */
export const WORKFLOWS: Record<string, readonly GateId[]> = {
  phases: ['env', 'data', 'features', 'split', 'smoke', 'baseline', 'diagnostics', 'optimization', 'calibration', 'finalization'],
  gated: ['env', 'data', 'features', 'split', 'smoke', 'baseline', 'minirocket', 'pretrain', 'finetune', 'augment', 'simple_lstm', 'ensemble'],
};

export function workflowGates(name = 'phases'): GateSpec[] {
  const ids = WORKFLOWS[name];
  if (!ids) throw new InputError(`invalid --workflow: ${name} (expected one of ${Object.keys(WORKFLOWS).join(', ')})`);
  return GATES.filter((g) => ids.includes(g.id));
}
