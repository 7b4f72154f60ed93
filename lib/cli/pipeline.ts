import type { Command } from 'commander';
import { loadConfig, parseConfig } from '../experiments/config';
import { verifyLedger } from '../gates/ledger';
import { runPipeline } from '../pipeline/runner';
import { formatGateTable, formatRunbookSummary } from '../pipeline/summary';
import { action } from './action';
import { runNotebookPipeline } from '../pipeline/notebookPipeline';

/** `gatebook pipeline` (what `npm run pipeline` runs) */
export function registerPipeline(program: Command): void {
  program.command('pipeline')
    .description('run the gates in dependency order on the configured data (default: the embedded dataset),\n' +
      'record each in the ledger, stop at the first failing gate, and print the gate table and runbook summary')
    .option('--config <yaml>', 'experiment config (default: the embedded default)')
    .option('--workflow <name>', 'phases (the 5-phase decision tree) or gated (MiniRocket control, pretraining, fine-tuning, augmentation, simple LSTM, ensemble)', 'phases')
    .option('--from <gate>', 'first gate to run (its requirements need passing records)')
    .option('--to <gate>', 'last gate to run')
    .option('--force', 'rerun gates that already passed with the same inputs')
    .option('--artifacts <dir>', 'where outputs go', 'artifacts')
    .option('--ledger <file>', 'the gate ledger (default <artifacts>/gates.jsonl)')
    .option('--runbooks <dir>', 'runbooks to summarize', 'runbooks')
    .option('--notebooks', 'run the phase notebooks headlessly on the gatebook kernel instead (what `npm run pipeline` does)')
    .action(action(async (flags: { config?: string; workflow: string; from?: string; to?: string; force?: boolean; artifacts: string; ledger?: string; runbooks: string; notebooks?: boolean }) => {
      const config = flags.config ? loadConfig(flags.config) : parseConfig({}, 'the embedded default config');
      const ledgerPath = flags.ledger ?? `${flags.artifacts}/gates.jsonl`;
      if (flags.notebooks) return viaNotebooks(flags.config, flags.workflow, flags.artifacts, ledgerPath, flags.runbooks);
      console.log(`pipeline: ${config.name} (${flags.config ?? 'embedded default'}), workflow ${flags.workflow}; ledger ${ledgerPath}`);
      const result = await runPipeline({ config, artifactsDir: flags.artifacts, ledgerPath, from: flags.from, to: flags.to, force: flags.force, workflow: flags.workflow, log: (l) => console.log(l) });
      const records = verifyLedger(ledgerPath).records;
      console.log(`\n${formatGateTable(records)}\n\nrunbooks:\n${formatRunbookSummary(flags.runbooks, records)}`);
      if (result.stoppedAt) {
        const s = result.stoppedAt;
        const first = s.issues[0];
        const what = first ? first.message : s.record?.error ?? 'error';
        console.error(`\npipeline stopped at gate ${s.gate}: ${what}\nnext: fix the cause, then \`gatebook pipeline --from ${s.gate}\`; see ${first?.runbook ?? 'the runbook'} and \`gatebook gates show ${s.gate}\``);
        return 1;
      }
      return 0;
    }));
}

async function viaNotebooks(config: string | undefined, workflow: string, artifacts: string, ledgerPath: string, runbooks: string): Promise<number> {
  console.log(`pipeline: the ${workflow} workflow's notebooks on the gatebook kernel; ledger ${ledgerPath}`);
  const { failed } = await runNotebookPipeline({ config, workflow, artifacts, log: (l) => console.log(l) });
  const records = verifyLedger(ledgerPath).records;
  console.log(`\n${formatGateTable(records)}\n\nrunbooks:\n${formatRunbookSummary(runbooks, records)}`);
  if (failed) {
    const f = failed.result.failed!;
    console.error(`\npipeline stopped in ${failed.notebook}.ipynb, cell ${f.index + 1} (id ${f.id}): ${f.ename}: ${f.evalue}\nthe executed notebook, with the failing cell marked: ${failed.result.out}`);
    return 1;
  }
  return 0;
}
