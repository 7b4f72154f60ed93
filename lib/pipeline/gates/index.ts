import { z } from 'zod';
import { danglingReference } from '../../gates/order';
import type { Gate } from '../gate';
import { augmentGate } from './augment';
import { baselineGate } from './baseline';
import { calibrationGate } from './calibration';
import { dataGate } from './data';
import { diagnosticsGate } from './diagnostics';
import { ensembleGate } from './ensemble';
import { envGate } from './env';
import { featuresGate } from './features';
import { finalizationGate } from './finalization';
import { finetuneGate } from './finetune';
import { minirocketGate } from './minirocket';
import { multiSymbolGate } from './multiSymbol';
import { optimizationGate } from './optimization';
import { pretrainGate } from './pretrain';
import { simpleLstmGate } from './simpleLstm';
import { smokeGate } from './smoke';
import { splitGate } from './split';
import { symbolModelsGate } from './symbolModels';

/**
 * Every gate, one file each, in one table: the gate ids, the config's `gates:` schema and
 * the workflows (workflows.ts) are all derived from it. Adding a gate = its file + a line here.
 */
export const GATES: readonly Gate[] = [
  envGate, dataGate, featuresGate, splitGate, smokeGate, baselineGate, diagnosticsGate, optimizationGate, calibrationGate, finalizationGate,
  minirocketGate, pretrainGate, finetuneGate, augmentGate, simpleLstmGate, ensembleGate,
  symbolModelsGate, multiSymbolGate,
];

const dangling = danglingReference(GATES);
if (dangling) throw new Error(dangling);

export const GATE_IDS: readonly string[] = GATES.map((g) => g.id);

export function gateById(id: string): Gate | undefined {
  return GATES.find((g) => g.id === id);
}

/**
 * The config's `gates:` section: each gate's thresholds under its id, every key with a
 * default; unknown gates and unknown or mistyped keys are errors naming the key.
 */
export const GateThresholds = z.object(Object.fromEntries(GATES.map((g) => [g.id, g.thresholds.default({})]))).strict();

export { calibrationCurves } from './calibration';
export { ENSEMBLE_MEMBERS } from './ensemble';
