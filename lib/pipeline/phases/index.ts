import type { GateId } from '../../gates/spec';
import type { Phase } from '../phase';
import { dataPhase } from './data';
import { envPhase } from './env';
import { featuresPhase } from './features';
import { splitPhase } from './split';
import { baselinePhase, smokePhase } from './training';
import { calibrationPhase } from './calibration';
import { diagnosticsPhase } from './diagnostics';
import { optimizationPhase } from './optimization';
import { finalizationPhase } from './finalization';
import { minirocketPhase } from './minirocket';
import { pretrainPhase } from './pretrain';
import { finetunePhase } from './finetune';
import { augmentPhase } from './augment';
import { simpleLstmPhase } from './simpleLstm';
import { ensemblePhase } from './ensemble';

const PHASES = new Map<GateId, Phase>([
  ['env', envPhase],
  ['data', dataPhase],
  ['features', featuresPhase],
  ['split', splitPhase],
  ['smoke', smokePhase],
  ['baseline', baselinePhase],
  ['diagnostics', diagnosticsPhase],
  ['optimization', optimizationPhase],
  ['calibration', calibrationPhase],
  ['finalization', finalizationPhase],
  ['minirocket', minirocketPhase],
  ['pretrain', pretrainPhase],
  ['finetune', finetunePhase],
  ['augment', augmentPhase],
  ['simple_lstm', simpleLstmPhase],
  ['ensemble', ensemblePhase],
]);

/** Register the phase that measures a gate (later issues add theirs; tests add toy ones). */
export function registerPhase(gate: GateId, phase: Phase): void {
  PHASES.set(gate, phase);
}

export function getPhase(gate: GateId): Phase | undefined {
  return PHASES.get(gate);
}
