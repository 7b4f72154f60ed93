import type { Command } from 'commander';
import { intactRecords } from '../gates/queries';
import { formatRunbookResult, verifyRunbookFile } from '../runbooks/verify';
import { action } from './action';

/** `gatebook verify <runbook.md> [--write]` */
export function registerVerify(program: Command): void {
  program.command('verify <runbook>')
    .description('check a runbook against the ledger: each item ✓ / ✗ / manual with its evidence;\n' +
      'exit 0 only when every automatic item holds and every manual one is ticked with who and when')
    .option('--write', 'tick the automatic items that hold and untick those that no longer do')
    .option('--ledger <file>', 'the gate ledger', 'artifacts/gates.jsonl')
    .action(action((path: string, flags: { write?: boolean; ledger: string }) => {
      const result = verifyRunbookFile(path, intactRecords(flags.ledger), { write: flags.write });
      console.log(formatRunbookResult(result));
      if (flags.write) console.log(`wrote ${path}`);
      return result.ok ? 0 : 1;
    }));
}
