import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { selectBackend } from '../backend/select';
import { loadDataset, frameSha256 } from '../data/dataset';
import { checkModelAgainstLedger } from '../gates/queries';
import { familyNames, loadModel } from '../models';
import { defaultConfig, loadConfig } from '../pipeline/configFile';
import { trainModelRun } from '../pipeline/modelRun';
import { loadSplit } from '../split/splitFile';
import { prepareForPrediction } from '../tensors/prepare';
import { InputError } from '../util/errors';
import { action, intOption } from './action';
import { stopOnInterrupt } from './interrupt';
import { trainingProgress } from './progress';

interface TrainFlags { model?: string; config?: string; features: string; split: string; out?: string; epochs?: number; resume?: string }

/** `gatebook train` and `gatebook predict` */
export function registerTrain(program: Command): void {
  program.command('train')
    .description('train a model on the features and split of a pipeline run (validation measured, test untouched)')
    .option('--model <family>', `${familyNames({ trainable: true }).join(', ')} (default: the config's)`)
    .option('--config <yaml>', 'experiment config (model params, training options)')
    .option('--features <parquet>', 'feature parquet', 'artifacts/features.parquet')
    .option('--split <json>', 'split JSON made on those features', 'artifacts/split.json')
    .option('--out <dir>', 'model folder (default artifacts/models/<time>-<family>)')
    .option('--epochs <n>', 'override the number of epochs', intOption('--epochs'))
    .option('--resume <dir>', 'continue from the best checkpoint in this model folder')
    .action(action(async (flags: TrainFlags) => {
      stopOnInterrupt();
      const config = flags.config ? loadConfig(flags.config) : defaultConfig();
      const backend = await selectBackend(config.backend);
      const { frame } = loadDataset(flags.features);
      const split = loadSplit(flags.split, frameSha256(frame));
      const family = flags.model ?? config.model.family;
      const params = flags.model && flags.model !== config.model.family ? {} : config.model.params;
      const dir = flags.resume ?? flags.out ?? join('artifacts', 'models', `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${family}`);
      console.log(`training ${family} on ${backend.name}; model folder ${dir}`);
      const progress = trainingProgress(family);
      const result = await trainModelRun({
        frame, split, config, dir, family, params, callbacks: progress, resume: Boolean(flags.resume),
        train: flags.epochs ? { epochs: flags.epochs } : undefined,
      });
      progress.stop();
      for (const [k, v] of Object.entries(result.metrics)) console.log(`  ${k.padEnd(26)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
      console.log(`saved ${dir} (model.json, weights.bin, history.json)`);
      result.model.dispose();
      return 0;
    }));

  program.command('predict <features>')
    .description('probabilities of label 1 from a saved model (any family), one per window end (timestamp, probability)')
    .requiredOption('--model <dir>', 'a saved model folder')
    .option('--out <csv>', 'write the predictions as CSV (default: print the last 10)')
    .option('--ledger <file>', 'the ledger whose records vouch for the model\'s files', 'artifacts/gates.jsonl')
    .action(action(async (file: string, flags: { model: string; out?: string; ledger: string }) => {
      await selectBackend();
      const vouched = checkModelAgainstLedger(flags.model, flags.ledger);
      if (!vouched) process.stderr.write(`warning: no record in ${flags.ledger} names ${flags.model}: only model.json's own sha256 of weights.bin was checked\n`);
      const model = loadModel(flags.model);
      const inputs = model.inputs!;
      const { frame } = loadDataset(file);
      const missing = [...inputs.featureNames, 'close'].filter((f) => !frame.columns.includes(f));
      if (missing.length) throw new InputError(`${file} lacks the model's column(s) ${missing.join(', ')}: build it with \`gatebook features build\``);
      const { source, ends, lastMove } = prepareForPrediction(frame, inputs.featureNames, inputs.scaler, inputs.window);
      const p = await model.predictProba(source, ends, lastMove);
      const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
      const rows = Array.from(ends, (e, i) => `${new Date(t[e]).toISOString()},${p[i].toFixed(6)}`);
      if (flags.out) {
        writeFileSync(flags.out, ['timestamp,probability', ...rows].join('\n') + '\n');
        console.log(`wrote ${flags.out}: ${rows.length} predictions`);
      } else {
        console.log(['timestamp,probability', ...rows.slice(-10)].join('\n'));
      }
      model.dispose();
      return 0;
    }));
}
