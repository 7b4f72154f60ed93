import type { Command } from 'commander';
import { CREDENTIAL_VARIABLES, exchangeCredentials } from '../data/ccxtProvider';
import { runSignals, TIER_NAMES } from '../experiments';
import { InputError } from '../util/errors';
import { action, intOption } from './action';
import { stopOnInterrupt } from './interrupt';

/** `gatebook signals`: the runtime's dry run on the promoted models. */
export function registerSignals(program: Command): void {
  program.command('signals')
    .description('dry-run the promoted models (the registry\'s champions, files checked against it): replay the latest bars in time order,\n' +
      'build features with the training code, and write one signal per symbol and iteration (time, model, probability, calibrated,\n' +
      'direction, confidence |2p-1|, tier); a summary at the end, with warnings when the signals look wrong.\n' +
      'With --exchange: each iteration reads the latest closed bars from the exchange instead')
    .option('--registry <file>', 'the model registry', 'models/registry.json')
    .option('--data <file>', 'OHLCV bars to replay (CSV or parquet; default: each model\'s training data)')
    .option('--iterations <n>', 'how many bars to replay (the last n of the data)', intOption('--iterations'), 20)
    .option('--sleep-seconds <s>', 'pause between iterations', (v) => {
      const n = Number(v);
      if (!(n >= 0)) throw new InputError(`invalid --sleep-seconds ${v} (expected a number ≥ 0)`);
      return n;
    }, 1)
    .option('--tiers <bounds>', `ascending confidence bounds between tiers (${TIER_NAMES.slice(0, 3).join(', ')}, …)`, '0.1,0.2')
    .option('--out <file.jsonl>', 'also write the signals as JSON lines')
    .option('--endpoint <url>', 'an S3-compatible endpoint, for models promoted --to s3://… and not here')
    .option('--exchange <id>', 'live: read each symbol\'s latest closed bars from this exchange (ccxt) every iteration, instead of replaying data')
    .option('--base-url <url>', 'with --exchange: another root for its API')
    .option('--interval <interval>', 'with --exchange: the bar interval (default: each model\'s training data\'s)')
    .option('--history <bars>', 'with --exchange: closed bars read each iteration to build the features on', intOption('--history'), 1000)
    .option('--private', `with --exchange: the authenticated endpoint, keys from ${CREDENTIAL_VARIABLES.apiKey} / ${CREDENTIAL_VARIABLES.secret} (environment or .env)`)
    .option('--env-file <file>', 'a .env file with the keys')
    .action(action(async (f: { registry: string; data?: string; iterations: number; sleepSeconds: number; tiers: string; out?: string; endpoint?: string; exchange?: string; baseUrl?: string; interval?: string; history: number; private?: boolean; envFile?: string }) => {
      stopOnInterrupt();
      if (f.iterations < 1) throw new InputError(`invalid --iterations ${f.iterations} (expected ≥ 1)`);
      if (f.exchange && f.data) throw new InputError('--exchange reads live bars, --data replays a file: give one');
      if (!f.exchange && (f.baseUrl || f.private || f.interval)) throw new InputError('--base-url, --interval and --private go with --exchange');
      const credentials = f.private ? exchangeCredentials(f.envFile) : null;
      if (f.private && !credentials) throw new InputError(`--private needs keys: set ${CREDENTIAL_VARIABLES.apiKey} and ${CREDENTIAL_VARIABLES.secret} in the environment or a .env file (--env-file)`);
      const tiers = f.tiers.split(',').map(Number);
      const { summary } = await runSignals({
        registry: f.registry, data: f.data, iterations: f.iterations, sleepSeconds: f.sleepSeconds, tiers, out: f.out, storeOptions: { endpoint: f.endpoint },
        live: f.exchange ? { exchange: f.exchange, baseUrl: f.baseUrl, interval: f.interval, history: f.history, credentials: credentials ?? undefined } : undefined,
        onSignal: (s) => console.log(`${s.time}  ${s.symbol}  ${s.model}  p ${s.probability.toFixed(4)}  calibrated ${s.calibrated.toFixed(4)}  ${s.direction.padEnd(4)}  confidence ${s.confidence.toFixed(3)}  ${s.tier}${s.hit === null ? '' : s.hit ? '  ✓' : '  ✗'}`),
      });
      console.log(`\nsignals: ${summary.count}, non-zero confidence ${(summary.nonZeroShare * 100).toFixed(0)} %, by tier ${Object.entries(summary.byTier).map(([t, n]) => `${t} ${n}`).join(', ')}` +
        `${summary.hitRate === null ? '' : `; replay hit rate ${(summary.hitRate * 100).toFixed(1)} % on ${summary.judged}`}${f.out ? `; written to ${f.out}` : ''}`);
      for (const w of summary.warnings) console.log(`warning: ${w}`);
      return 0;
    }));
}
