import { existsSync } from 'node:fs';
import { gateSpec } from '../../gates/definitions';
import { readRunbook } from '../../runbooks/runbook';

/** Whether the finalization runbook's "plausibility ceiling … signed off" item is ticked with who and when. */
export function plausibilitySignedOff(): boolean {
  const path = gateSpec('finalization')!.runbook;
  if (!existsSync(path)) return false;
  return readRunbook(path).items.some((i) => !i.expression && /plausibility ceiling/i.test(i.text) && i.ticked && i.signoff !== null);
}

/** Accuracy and AUC under the configured ceilings, or signed off by a person. */
export function plausible(accuracy: number, auc: number, ceilings: { plausible_accuracy: number; plausible_auc: number }): boolean {
  return (accuracy <= ceilings.plausible_accuracy && !(auc > ceilings.plausible_auc)) || plausibilitySignedOff();
}
