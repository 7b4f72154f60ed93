import type { Command } from 'commander';
import { InputError, CheckFailedError } from '../util/errors';
import { openOhlcv } from '../data/open';
import { saveDataset } from '../data/dataset';
import { validateOhlcv } from '../data/validate';
import { buildFeatures } from '../features/build';
import { checkCausality } from '../features/causality';
import { action, intOption, numberOption } from './action';
import { formatValidation } from './format';

/** `gatebook features build` */
export function registerFeatures(program: Command): void {
  const features = program.command('features').description('causal features and the label');
  features.command('build <data>')
    .description('OHLCV + 31 numeric and 3 categorical features + label → parquet (warm-up and unlabeled rows dropped)')
    .requiredOption('--out <parquet>', 'output parquet')
    .option('--horizon <bars>', 'label horizon in bars', intOption('--horizon'), 15)
    .option('--threshold <return>', 'forward return above this → label 1', numberOption('--threshold'), 0)
    .option('--dead-zone <return>', 'drop rows whose return is within this of the threshold', numberOption('--dead-zone'), 0)
    .option('--check-causality [rows]', 'also prove causality at this many rows (default 20)')
    .action(action((file: string, flags: { out: string; horizon: number; threshold: number; deadZone: number; checkCausality?: string | boolean }) => {
      const opened = openOhlcv(file);
      const report = validateOhlcv(opened.frame, { source: file, place: opened.place, lineOf: opened.lineOf });
      if (!report.ok) throw new InputError(`${formatValidation(report)}\nfeatures need valid data: repair it with \`gatebook data validate ${file} --fix --out <parquet>\``);
      if (flags.checkCausality) {
        const points = flags.checkCausality === true ? 20 : Number(flags.checkCausality);
        const causality = checkCausality(opened.frame, undefined, points);
        if (!causality.ok) {
          const v = causality.violations[0];
          throw new CheckFailedError(`causality violated: ${causality.violations.length} value(s), first ${v.feature} at row ${v.row}`);
        }
        console.log(`causality: ok at ${causality.rowsChecked.length} rows × ${causality.features.length} features`);
      }
      const started = performance.now();
      const built = buildFeatures(opened.frame, { horizon: flags.horizon, threshold: flags.threshold, deadZone: flags.deadZone });
      const seconds = (performance.now() - started) / 1000;
      saveDataset(built.frame, flags.out, { step: 'features', input: file, horizon: flags.horizon, threshold: flags.threshold, deadZone: flags.deadZone });
      const d = built.dropped;
      console.log(`wrote ${flags.out}: ${built.frame.height} rows × ${built.frame.width} columns in ${seconds.toFixed(2)} s ` +
        `(dropped ${d.warmup} warm-up, ${d.unlabeled} unlabeled, ${d.nonFinite} non-finite)`);
      return 0;
    }));
}
