import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The gates' thresholds a few thousand synthetic bars can meet (their other gates as configured). */
const SMALL_DATA_GATES = `gates:
  env: { min_free_disk_gb: 0 }
  data: { min_rows: 1000 }
  split: { min_val_rows: 100, min_test_rows: 100 }
  baseline: { target_val_accuracy: 0, min_margin_over_majority: 0 }`;

/**
 * A whole 5-phase pipeline in seconds: 4,000 synthetic bars, a logistic model on every 8th
 * window for 2 epochs, short windows, the row minimums scaled down. `reread` lets the test
 * split be read again (counted) so a killed run can be finished. For tests of durability,
 * not of models.
 */
export function tinyConfig(dir: string, o: { gates?: string; reread?: boolean; epochs?: number } = {}): string {
  const path = join(dir, 'tiny.yaml');
  writeFileSync(path, `name: tiny
data: { source: synthetic, generator: { bars: 4000, seed: 7 } }
features: { causalityPoints: 3, horizon: 4 }
split: { window: 16, horizon: 4 }
model: { family: logistic, params: {}, trainStride: 8 }
train: { epochs: ${o.epochs ?? 2}, patience: ${o.epochs ?? 2} }
finalization: { epochs: 2, patience: 2, allowTestReread: ${o.reread ?? true} }
${SMALL_DATA_GATES}
  finalization: { min_test_accuracy: 0, max_p_value: 1, max_test_ece: 1 }
  calibration: { max_ece: 1 }
${o.gates ?? ''}`);
  return path;
}

/**
 * A small LSTM on synthetic bars that trains for a while (about 0.6 s an epoch on 2 cores,
 * `epochs` of them, no early stop): long enough to interrupt, stop or watch, short enough for CI.
 * With 30,000 bars (about 4 s an epoch) three epochs pass the baseline gate.
 */
export function trainingConfig(dir: string, epochs = 30, bars = 4000): string {
  const path = join(dir, 'training.yaml');
  writeFileSync(path, `name: training
data: { source: synthetic, generator: { bars: ${bars}, seed: 7 } }
features: { causalityPoints: 3, horizon: 4 }
split: { window: 16, horizon: 4 }
model: { family: lstm, params: { layers: 1, units: 16, dropout: 0 }, trainStride: 1 }
train: { epochs: ${epochs}, patience: ${epochs} }
${SMALL_DATA_GATES}
`);
  return path;
}
