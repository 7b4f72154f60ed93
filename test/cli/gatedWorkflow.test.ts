import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { gatebook, tempDir } from '../helpers/cli';

/**
 * `gatebook pipeline --workflow gated` end to end on the embedded data with small models
 * (the full-size run is `gatebook pipeline --workflow gated`): every gate runs in order and is
 * recorded with its metrics, the dependencies hold, and `gates best` names a model.
 */
const QUICK = `name: gated-test
features:
  causalityPoints: 4
model:
  family: lstm
  params: { layers: 1, units: 16, dropout: 0 }
  trainStride: 4
train:
  epochs: 3
  patience: 2
workflow:
  minirocket: { numFeatures: 336, ridgeMaxExamples: 1000 }
  pretrain: { units: 8, epochs: 2 }
  finetune: { headEpochs: 1, epochs: 3, patience: 2, dropout: 0 }
  augment: { share: 0.1 }
  simpleLstm: { units: 8, dropout: 0 }
gates:
  # small models: fine-tuning and the ensemble are measured against the baseline and the best member, not required to beat them
  finetune: { min_f1_over_baseline: -1 }
  ensemble: { min_accuracy_over_best_member: -1, max_log_loss_over_best_member: 1 }
`;

describe('gatebook pipeline --workflow gated', () => {
  it('runs gates 0–7 in order with their dependencies, records each, and names the best model', () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, QUICK);
    const artifacts = join(dir, 'artifacts');
    const ledger = join(artifacts, 'gates.jsonl');
    // gate 4 needs gate 3's encoder: refused on an empty ledger, nothing recorded
    const refused = gatebook(['pipeline', '--workflow', 'gated', '--config', config, '--artifacts', artifacts, '--from', 'finetune']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gate finetune requires pretrain, baseline, which have no passing record in the ledger');
    expect(existsSync(ledger) ? verifyLedger(ledger).records : []).toEqual([]);

    const r = gatebook(['pipeline', '--workflow', 'gated', '--config', config, '--artifacts', artifacts]);
    const records = verifyLedger(ledger).records;
    const order = ['env', 'data', 'features', 'split', 'smoke', 'baseline', 'minirocket', 'pretrain', 'finetune', 'augment', 'simple_lstm', 'ensemble'];
    expect(records.map((x) => x.gate)).toEqual(order.slice(0, records.length));
    // the gates are judged on the merits; this small config passes them all on the embedded data
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(records.map((x) => x.gate)).toEqual(order);
    expect(r.stdout).not.toMatch(/^[✓✗–] (diagnostics|optimization|calibration|finalization):/m); // not in this workflow
    const byGate = new Map(records.map((x) => [x.gate, x]));
    const mr = byGate.get('minirocket')!.metrics;
    expect(mr.features).toBe(336);
    expect(mr.ridge).toBe(0); // ~6k training windows > ridgeMaxExamples: the logistic head (ridge: test/models/linear.test.ts)
    for (const gate of ['minirocket', 'finetune', 'augment', 'simple_lstm']) {
      const m = byGate.get(gate)!.metrics;
      expect(m.val_f1, gate).toBeGreaterThanOrEqual(0);
      expect(m.shuffle_val_accuracy, gate).toBeGreaterThan(0.3); // the control ran
      expect(m.majority_val_accuracy, gate).toBe(byGate.get('baseline')!.metrics.majority_val_accuracy);
    }
    const pre = byGate.get('pretrain')!.metrics;
    expect(pre.val_loss_ratio).toBeLessThan(1);
    expect(pre.probe_accuracy).toBeGreaterThanOrEqual(0.55);
    const f1Check = byGate.get('finetune')!.checks.find((c) => c.metric === 'val_f1')!;
    expect(f1Check.threshold).toBeCloseTo((byGate.get('baseline')!.metrics.val_f1 as number) - 1, 9); // compared with the baseline's F1
    const aug = byGate.get('augment')!.metrics;
    expect((aug.kept_windows as number) + (aug.dropped_windows as number)).toBe(aug.generated_windows);
    expect(aug.kept_jitter).toBeDefined();
    const report = JSON.parse(readFileSync(byGate.get('augment')!.artifacts.at(-1)!.path, 'utf8'));
    expect(report.methods.map((m: { method: string }) => m.method)).toEqual(['jitter', 'scaling', 'magnitude_warp', 'time_warp', 'window_slice']);
    const ens = byGate.get('ensemble')!.metrics;
    expect(ens.members).toBe(3);
    const member = (suffix: string) => ['finetune', 'augment', 'simple_lstm'].map((g) => ens[`${g}_${suffix}`] as number);
    expect(ens.best_member_val_log_loss).toBe(Math.min(...member('val_log_loss_calibrated')));
    expect(ens.best_member_val_accuracy_xfit).toBe(Math.max(...member('val_accuracy_xfit')));
    // F1 of predicting "up" everywhere is 2r / (1 + r), r the validation rate of label 1 (one of c, 1 − c for the best constant's accuracy c)
    const c = ens.constant_val_accuracy as number;
    expect([c, 1 - c].map((r) => (2 * r) / (1 + r)).some((v) => Math.abs(v - (ens.f1_always_up as number)) < 1e-12)).toBe(true);
    expect(ens.log_loss_vs_best_member).toBeCloseTo((ens.val_log_loss as number) - (ens.best_member_val_log_loss as number), 9);
    expect(ens.log_loss_vs_best_member_lo).toBeLessThanOrEqual(ens.log_loss_vs_best_member_hi as number);
    // averaging calibrated probabilities: the ensemble's log loss is at most the members' mean (convexity of the loss)
    expect(ens.val_log_loss).toBeLessThanOrEqual(member('val_log_loss_calibrated').reduce((a, b) => a + b, 0) / 3 + 1e-12);
    // the runbook keeps the seed's strict comparisons: its ✗ are exactly the ones these small models lose
    const lost = [
      (byGate.get('finetune')!.metrics.val_f1 as number) <= (byGate.get('baseline')!.metrics.val_f1 as number),
      (ens.val_log_loss as number) > (ens.best_member_val_log_loss as number),
      (ens.val_accuracy_xfit as number) < (ens.best_member_val_accuracy_xfit as number),
    ].filter(Boolean).length;
    expect(r.stdout).toContain(`runbooks/10_gated_workflow.md: ${11 - lost} ✓, ${lost} ✗`);

    const best = gatebook(['gates', 'best', '--metric', 'val_f1', '--ledger', ledger]);
    expect(best.code).toBe(0);
    const top = Math.max(...records.filter((x) => x.status === 'pass' && typeof x.metrics.val_f1 === 'number').map((x) => x.metrics.val_f1 as number));
    expect(best.stdout).toContain(`best val_f1: ${top.toFixed(4)}`);
    expect(best.stdout).toMatch(/model: .*models\/.*\/(baseline|finetune|augment|simple_lstm|minirocket|ensemble)/);

    // a second run: everything passed with the same inputs, nothing retrains
    const again = gatebook(['pipeline', '--workflow', 'gated', '--config', config, '--artifacts', artifacts, '--from', 'pretrain', '--to', 'finetune']);
    expect(again.stdout).toMatch(/✓ pretrain: skipped — unchanged inputs/);
    expect(again.stdout).toMatch(/✓ finetune: skipped — unchanged inputs/);
    expect(again.stdout).toMatch(/^finetune\s+pass\s.*reused: unchanged inputs$/m); // the gate table says so too

    // the same workflow through its notebooks on the gatebook kernel: every cell runs (plots,
    // tables, the best model), and the gates are found passed with the same inputs
    const nb = gatebook(['pipeline', '--workflow', 'gated', '--notebooks', '--config', config, '--artifacts', artifacts]);
    expect(nb.code, `${nb.stdout}\n${nb.stderr}`).toBe(0);
    for (const name of ['00_env', '01_data', '02_features', '10_smoke', '11_minirocket_control', '12_pretrain', '13_finetune', '14_augment', '15_simple_lstm', '16_ensemble']) {
      expect(nb.stdout).toMatch(new RegExp(`✓ ${name}: \\d+ cell\\(s\\)`));
    }
    expect(verifyLedger(ledger).records.length).toBe(records.length); // nothing ran twice
    const ensembleNb = JSON.parse(readFileSync(join(artifacts, 'notebooks', '16_ensemble.ipynb'), 'utf8'));
    expect(JSON.stringify(ensembleNb.cells.map((c: { outputs?: unknown[] }) => c.outputs ?? []))).toContain('image/png');
  }, 900_000);

  it('says which workflows exist', () => {
    const r = gatebook(['pipeline', '--workflow', 'bogus', '--to', 'env', '--artifacts', join(tempDir(), 'a')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --workflow: bogus (expected one of phases, gated, per-symbol, multi-symbol)');
  });
});
