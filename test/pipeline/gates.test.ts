import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/pipeline/configFile';
import { RunContext } from '../../lib/pipeline/context';
import { GATES, GATE_IDS, GateThresholds } from '../../lib/pipeline/gates';
import { minirocketGate } from '../../lib/pipeline/gates/minirocket';
import { WORKFLOWS, workflowGates } from '../../lib/pipeline/workflows';
import { InputError } from '../../lib/util/errors';
import { tempDir } from '../helpers/cli';

describe('the gate table', () => {
  it('derives the gate ids, the workflows and the config\'s gates section from one list', () => {
    expect(GATE_IDS).toEqual(GATES.map((g) => g.id));
    expect(new Set(GATE_IDS).size).toBe(GATE_IDS.length);
    expect(Object.keys(GateThresholds.parse({}))).toEqual(GATE_IDS);
    for (const name of Object.keys(WORKFLOWS)) for (const g of workflowGates(name)) expect(GATES).toContain(g);
    // every gate belongs to some workflow, and every threshold has a default
    expect(GATE_IDS.filter((id) => !Object.values(WORKFLOWS).some((steps) => steps.some((s) => s.gates.includes(id))))).toEqual([]);
    for (const g of GATES) expect(() => g.thresholds.parse({}), g.id).not.toThrow();
  });

  it('a config names a bad gate or threshold by its path, with the other bad keys', () => {
    let message = '';
    try {
      parseConfig({ gates: { baseline: { target_val_acuracy: 0.6 }, dta: {} }, seed: -1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').sort()).toEqual([
      "  gates.baseline: Unrecognized key(s) in object: 'target_val_acuracy' (target_val_acuracy)",
      "  gates: Unrecognized key(s) in object: 'dta' (dta)",
      '  seed: Number must be greater than or equal to 0',
      'config is not a valid experiment config:',
    ]);
    expect(parseConfig({ gates: { baseline: { target_val_accuracy: 0.6 } } }).gates.baseline).toEqual({ target_val_accuracy: 0.6, min_margin_over_majority: 0.02, min_gpu_utilization: 60 });
  });

  it('minirocket names split.window when the window is shorter than its kernels (an input error, before any work)', async () => {
    const ctx = new RunContext(parseConfig({ split: { window: 8 } }), tempDir(), () => {});
    await expect(minirocketGate.run(ctx, { min_margin_over_majority: 0 })).rejects.toThrow(InputError);
    await expect(minirocketGate.run(ctx, { min_margin_over_majority: 0 })).rejects.toThrow(/^split\.window = 8: MiniRocket's kernels span 9 steps/);
  });
});
