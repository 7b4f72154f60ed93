import type { Command } from 'commander';
import { ledgerPathOf, verifyLedger } from '../gates/ledger';
import { messages } from '../gates/messages';
import { defaultConfig, loadConfig } from '../pipeline/configFile';
import { gateById } from '../pipeline/gates';
import { runPipeline, type PipelineResult } from '../pipeline/runner';
import { formatGateTable, formatRunbookSummary, outcomeMark } from '../pipeline/summary';
import { runNotebookPipeline } from '../runner/notebookPipeline';
import { GatebookError, InputError } from '../util/errors';
import { action } from './action';
import { stopOnInterrupt } from './interrupt';

export interface PipelineFlags { config?: string; workflow: string; from?: string; to?: string; force?: boolean; artifacts: string; ledger?: string; runbooks: string; notebooks?: boolean }

/** `gatebook pipeline` (what `npm run pipeline` runs) */
export function registerPipeline(program: Command): void {
  program.command('pipeline')
    .description('run the gates in dependency order on the configured data (default: the embedded dataset),\n' +
      'record each in the ledger, stop at the first failing gate, and print the gate table and runbook summary;\n' +
      'a gate that passed with the same inputs (code, config, data) and intact artifacts is reused and says so')
    .option('--config <yaml>', 'experiment config (default: the embedded default)')
    .option('--workflow <name>', 'phases (the 5-phase decision tree), gated (MiniRocket control, pretraining, fine-tuning, augmentation, simple LSTM, ensemble), per-symbol (a model per symbol) or multi-symbol (one model over all symbols; both promoted by k of n)', 'phases')
    .option('--from <gate>', 'first gate to run (its requirements need passing records)')
    .option('--to <gate>', 'last gate to run')
    .option('--force', 'rerun gates that already passed with the same inputs')
    .option('--artifacts <dir>', 'where outputs go', 'artifacts')
    .option('--ledger <file>', 'the gate ledger (default <artifacts>/gates.jsonl)')
    .option('--runbooks <dir>', 'runbooks to summarize', 'runbooks')
    .option('--notebooks', 'run the phase notebooks headlessly on the gatebook kernel instead (what `npm run pipeline` does)')
    .action(action(runPipelineVerb));
}

/** What `gatebook pipeline` does with its flags (also `gatebook exp run`, on an experiment's folders); resolves to the exit code. */
export async function runPipelineVerb(flags: PipelineFlags): Promise<number> {
  stopOnInterrupt();
  const config = flags.config ? loadConfig(flags.config) : defaultConfig();
  const ledgerPath = ledgerPathOf(flags.artifacts, flags.ledger);
  if (flags.notebooks) return viaNotebooks(flags, ledgerPath);
  console.log(`pipeline: ${config.name} (${flags.config ?? 'embedded default'}), workflow ${flags.workflow}; ledger ${ledgerPath}`);
  const result = await runPipeline({ config, artifactsDir: flags.artifacts, ledgerPath, from: flags.from, to: flags.to, force: flags.force, workflow: flags.workflow, log: (l) => console.log(l) });
  summarize(ledgerPath, flags.runbooks, new Map(result.outcomes.map((o) => [o.gate, outcomeMark(o.action)])));
  if (result.interrupted) {
    const at = result.stoppedAt;
    console.error(`\ninterrupted (${result.interrupted})${at ? `: gate ${at.gate} recorded as error — ${at.record?.error}; its unrecorded model folders were removed` : ' between gates: nothing was cut short'}\nnext: \`gatebook pipeline${at ? ` --from ${at.gate}` : ''}\` goes on from there`);
    return 130;
  }
  return result.stoppedAt ? stopped(result.stoppedAt) : 0;
}

function summarize(ledgerPath: string, runbooks: string, marks: Map<string, string>): void {
  const records = verifyLedger(ledgerPath).records;
  console.log(`\n${formatGateTable(records, marks)}\n\nrunbooks:\n${formatRunbookSummary(runbooks, records)}`);
}

/**
 * Say where and why the run stopped. Exit 1 when a check failed or a gate errored on its
 * own terms (training diverged, a requirement missing); 2 when a gate hit an input error (a
 * bad config key, a bad file); 3 when something unexpected broke inside a gate (a bug: it
 * is recorded as `error` in the ledger all the same).
 */
function stopped(s: NonNullable<PipelineResult['stoppedAt']>): number {
  const first = s.issues[0];
  const what = first ? first.message : s.record?.error ?? 'error';
  console.error(`\npipeline stopped at gate ${s.gate}: ${what}\nnext: fix the cause, then \`gatebook pipeline --from ${s.gate}\`; ${messages.nextStep(first?.runbook ?? gateById(s.gate)?.runbook ?? 'the runbook')}, and \`gatebook gates show ${s.gate}\``);
  if (s.error === undefined) return 1;
  if (s.error instanceof InputError) return 2;
  if (s.error instanceof GatebookError) return 1;
  console.error((s.error as Error)?.stack ?? String(s.error));
  return 3;
}

async function viaNotebooks(flags: PipelineFlags, ledgerPath: string): Promise<number> {
  console.log(`pipeline: the ${flags.workflow} workflow's notebooks on the gatebook kernel; ledger ${ledgerPath}`);
  const { failed, marks } = await runNotebookPipeline({ config: flags.config, workflow: flags.workflow, artifacts: flags.artifacts, ledger: flags.ledger, log: (l) => console.log(l) });
  summarize(ledgerPath, flags.runbooks, marks);
  if (failed) {
    const f = failed.result.failed!;
    console.error(`\npipeline stopped in ${failed.notebook}.ipynb, cell ${f.index + 1} (id ${f.id}): ${f.ename}: ${f.evalue}\nthe executed notebook, with the failing cell marked: ${failed.result.out}`);
    return f.ename === 'InputError' ? 2 : /^Interrupted/.test(f.ename) ? 130 : 1;
  }
  return 0;
}
