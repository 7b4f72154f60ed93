import type { Command } from 'commander';
import { loadConfig, parseConfig } from '../experiments/config';
import { formatSteps, runPipeline } from '../pipeline/run';
import { action } from './action';

/** `gatebook pipeline` (what `npm run pipeline` runs) */
export function registerPipeline(program: Command): void {
  program.command('pipeline')
    .description('run the phases in order on the configured data (default: the embedded dataset) and print a summary')
    .option('--config <yaml>', 'experiment config (default: the embedded default)')
    .option('--artifacts <dir>', 'where outputs go', 'artifacts')
    .action(action((flags: { config?: string; artifacts: string }) => {
      const config = flags.config ? loadConfig(flags.config) : parseConfig({}, 'the embedded default config');
      console.log(`pipeline: ${config.name} (${flags.config ?? 'embedded default'}), artifacts in ${flags.artifacts}/`);
      const result = runPipeline({ config, artifactsDir: flags.artifacts, log: (line) => console.log(line) });
      console.log(`\n${formatSteps(result.steps)}`);
      const failed = result.steps.find((s) => s.status !== 'pass');
      if (failed) {
        console.error(`\npipeline stopped: step ${failed.step} failed${failed.detail ? `:\n${failed.detail}` : ''}`);
        return 1;
      }
      return 0;
    }));
}
