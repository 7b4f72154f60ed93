import type { Command } from 'commander';
import { ledgerPathOf } from '../gates/ledger';
import { writeReport } from '../reports/report';
import { action } from './action';

/** `gatebook report` */
export function registerReport(program: Command): void {
  program.command('report')
    .description('write artifacts/reports/: baseline_results.md, diagnostic_report.md, optimization_results.md, test_results.md,\nthe figures as PNG and an index.html')
    .option('--artifacts <dir>', 'the artifacts folder', 'artifacts')
    .option('--ledger <file>', 'the gate ledger (default <artifacts>/gates.jsonl)')
    .action(action(async (flags: { artifacts: string; ledger?: string }) => {
      const r = await writeReport(flags.artifacts, ledgerPathOf(flags.artifacts, flags.ledger));
      console.log(`wrote ${r.dir}/index.html: ${r.reports.length} report(s), ${r.figures.length} figure(s)`);
      for (const f of [...r.reports, ...r.figures]) console.log(`  ${r.dir}/${f}`);
      if (r.skipped.length) console.log(`not yet produced: ${r.skipped.join(', ')}`);
      return 0;
    }));
}
