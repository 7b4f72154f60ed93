import type { Command } from 'commander';
import { defaultConfig, loadConfig } from '../pipeline/configFile';
import { verifyLedger } from '../gates/ledger';
import { runPipeline } from '../pipeline/runner';
import { action } from './action';

/** `gatebook env`: gate 00 on its own — the machine, the backend, a micro-benchmark, recorded. */
export function registerEnv(program: Command): void {
  program.command('env')
    .description('record gate env: Node, backend, device (GPU name and memory where visible), cores, memory, disk, data present,\n' +
      'and a micro-benchmark (per-op overhead in µs, matMul GFLOP/s) on the active backend')
    .option('--config <yaml>', 'experiment config (its backend key forces a backend)')
    .option('--artifacts <dir>', 'where the ledger is', 'artifacts')
    .action(action(async (flags: { config?: string; artifacts: string }) => {
      const config = flags.config ? loadConfig(flags.config) : defaultConfig();
      const ledgerPath = `${flags.artifacts}/gates.jsonl`;
      const result = await runPipeline({ config, artifactsDir: flags.artifacts, ledgerPath, to: 'env', force: true, log: (l) => console.log(l) });
      const record = verifyLedger(ledgerPath).records.filter((r) => r.gate === 'env').at(-1);
      if (record) {
        for (const [k, v] of Object.entries(record.metrics)) console.log(`  ${k.padEnd(16)} ${v ?? 'n/a'}`);
        console.log(`  backend          ${record.provenance.backend}\n  device           ${record.provenance.device}`);
      }
      return result.ok ? 0 : 1;
    }));
}
