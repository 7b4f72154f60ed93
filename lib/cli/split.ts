import type { Command } from 'commander';
import pl from 'nodejs-polars';
import { loadDataset, frameSha256 } from '../data/dataset';
import { temporalSplit } from '../split/temporal';
import { walkForward } from '../split/walkForward';
import { saveSplit, splitFile } from '../split/splitFile';
import { action, intOption, numberOption } from './action';

interface SplitFlags {
  out: string; method: 'fraction' | 'date'; train: number; val: number; valStart?: string; testStart?: string;
  window: number; horizon: number; purge?: number; embargo: number; folds?: number; mode: 'expanding' | 'rolling';
}

/** `gatebook split make` */
export function registerSplit(program: Command): void {
  const split = program.command('split').description('temporal train/val/test splits and walk-forward folds');
  split.command('make <features>')
    .description('split feature rows in time with a purge gap (≥ window + horizon) and an optional embargo')
    .requiredOption('--out <json>', 'output split JSON')
    .option('--method <method>', 'fraction or date', 'fraction')
    .option('--train <fraction>', 'train fraction', numberOption('--train'), 0.7)
    .option('--val <fraction>', 'validation fraction', numberOption('--val'), 0.15)
    .option('--val-start <iso>', 'with --method date: first validation timestamp')
    .option('--test-start <iso>', 'with --method date: first test timestamp')
    .option('--window <bars>', 'model window T', intOption('--window'), 60)
    .option('--horizon <bars>', 'label horizon H', intOption('--horizon'), 15)
    .option('--purge <bars>', 'bars between parts (default window + horizon)', intOption('--purge'))
    .option('--embargo <bars>', 'extra bars after the purge', intOption('--embargo'), 0)
    .option('--folds <k>', 'also write k walk-forward folds', intOption('--folds'))
    .option('--mode <mode>', 'walk-forward: expanding or rolling', 'expanding')
    .action(action((file: string, flags: SplitFlags) => {
      const { frame } = loadDataset(file);
      const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
      const gaps = { window: flags.window, horizon: flags.horizon, purgeBars: flags.purge, embargoBars: flags.embargo };
      const parts = temporalSplit(t, { method: flags.method, train: flags.train, val: flags.val, valStart: flags.valStart, testStart: flags.testStart, ...gaps });
      const folds = flags.folds ? walkForward(t, { folds: flags.folds, mode: flags.mode, ...gaps }) : [];
      const saved = splitFile(parts, frameSha256(frame), frame.height, folds);
      saveSplit(flags.out, saved);
      for (const name of ['train', 'val', 'test'] as const) {
        const p = saved[name];
        console.log(`${name.padEnd(5)} rows ${String(p.start).padStart(7)}–${String(p.end).padEnd(7)} ${p.rows} rows  ${p.from} → ${p.to}`);
      }
      if (folds.length) console.log(`${folds.length} ${flags.mode} walk-forward fold(s)`);
      console.log(`wrote ${flags.out} (purge ${saved.purgeBars}, embargo ${saved.embargoBars} bars)`);
      return 0;
    }));
}
