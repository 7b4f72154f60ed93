import type { Command } from 'commander';
import { ARCHIVABLE, archiveExperiments, diffExperiments, experimentStatus, findExperiment, listExperiments, newExperiment, planArchive, promoteExperiment, STATUSES, type StatusThresholds } from '../experiments';
import { formatGateTable } from '../pipeline/summary';
import { WORKFLOWS } from '../pipeline/workflows';
import { InputError } from '../util/errors';
import { action, intOption } from './action';
import { runPipelineVerb } from './pipeline';

interface Thresholds { activeDays: number; staleDays: number }

const thresholdsOf = (f: Thresholds): StatusThresholds => {
  if (f.activeDays >= f.staleDays) throw new InputError(`--active-days ${f.activeDays} must be below --stale-days ${f.staleDays}`);
  return { activeDays: f.activeDays, staleDays: f.staleDays };
};

/** `gatebook exp …`: experiments as folders, their status from their ledgers, archive and promotion. */
export function registerExp(program: Command): void {
  const exp = program.command('exp').description('experiments: experiments/YYYY-MM-DD-<name>/ with config.yaml, notes.md, metadata.json, runbooks/ and their own artifacts and ledger (docs/experiments.md)');
  const withThresholds = (c: Command) => c
    .option('--active-days <n>', 'changed within n days: active', intOption('--active-days'), 7)
    .option('--stale-days <n>', 'no activity for n days: stale', intOption('--stale-days'), 30);

  exp.command('new <name>')
    .description('make experiments/<today>-<name>/: the config (copied from --from), a notes template, metadata with lineage, the workflow\'s runbooks')
    .option('--from <config|experiment>', 'a config file, or an experiment (its id or name) to start from (default: the embedded default)')
    .option('--workflow <name>', `${Object.keys(WORKFLOWS).join(', ')} (default: phases, or the --from experiment's)`)
    .action(action(async (name: string, f: { from?: string; workflow?: string }) => {
      const e = newExperiment({ name, from: f.from, workflow: f.workflow });
      console.log(`made ${e.dir}/ (workflow ${e.metadata.workflow}, from ${e.metadata.from.kind === 'default' ? 'the embedded default' : e.metadata.from.ref})\n  edit ${e.configPath} and ${e.notesPath}, then \`gatebook exp run ${e.id}\``);
      return 0;
    }));

  withThresholds(exp.command('list'))
    .description('experiments with their status (active, success, failed, stale, idle) read from their ledgers')
    .option('--status <status>', `only these (${STATUSES.join(', ')})`)
    .option('--json', 'as JSON')
    .action(action(async (f: Thresholds & { status?: string; json?: boolean }) => {
      if (f.status && !(STATUSES as readonly string[]).includes(f.status)) throw new InputError(`invalid --status ${f.status} (expected one of ${STATUSES.join(', ')})`);
      const t = thresholdsOf(f);
      const rows = listExperiments().map((e) => ({ e, s: experimentStatus(e, t) })).filter((r) => !f.status || r.s.status === f.status);
      if (f.json) {
        console.log(JSON.stringify(rows.map(({ e, s }) => ({ id: e.id, name: e.metadata.name, status: s.status, why: s.why, workflow: e.metadata.workflow, created: e.metadata.created, last_activity: s.lastActivity.toISOString(), lineage: e.metadata.lineage })), null, 2));
        return 0;
      }
      if (rows.length === 0) {
        console.log(f.status ? `no ${f.status} experiments` : 'no experiments yet: `gatebook exp new <name>`');
        return 0;
      }
      const width = Math.max(...rows.map((r) => r.e.id.length));
      for (const { e, s } of rows) console.log(`${e.id.padEnd(width)}  ${s.status.padEnd(7)}  ${s.why}`);
      return 0;
    }));

  exp.command('run <experiment>')
    .description('run the experiment\'s workflow on its config, into its own artifacts and ledger (what `gatebook pipeline` does)')
    .option('--from <gate>', 'first gate to run')
    .option('--to <gate>', 'last gate to run')
    .option('--force', 'rerun gates that already passed with the same inputs')
    .option('--notebooks', 'run the phase notebooks headlessly on the gatebook kernel')
    .action(action(async (ref: string, f: { from?: string; to?: string; force?: boolean; notebooks?: boolean }) => {
      const e = findExperiment(ref);
      return runPipelineVerb({ ...f, config: e.configPath, workflow: e.metadata.workflow, artifacts: e.artifactsDir, runbooks: e.runbooksDir });
    }));

  withThresholds(exp.command('show <experiment>'))
    .description('an experiment: status and why, lineage, its gate table')
    .action(action(async (ref: string, f: Thresholds) => {
      const e = findExperiment(ref);
      const s = experimentStatus(e, thresholdsOf(f));
      console.log(`${e.id}: ${s.status} — ${s.why}`);
      console.log(`  workflow ${e.metadata.workflow}; created ${e.metadata.created}; from ${e.metadata.from.kind === 'default' ? 'the embedded default' : e.metadata.from.ref}${e.metadata.lineage.length ? `; lineage ${e.metadata.lineage.join(' → ')}` : ''}`);
      console.log(`  config ${e.configPath}, notes ${e.notesPath}, ledger ${e.ledgerPath} (${s.records.length} records)`);
      if (s.records.length) console.log(`\n${formatGateTable(s.records, new Map())}`);
      return 0;
    }));

  exp.command('diff <a> <b>')
    .description('the config keys and the latest metrics that differ between two experiments')
    .option('--json', 'as JSON')
    .action(action(async (a: string, b: string, f: { json?: boolean }) => {
      const ea = findExperiment(a);
      const eb = findExperiment(b);
      const d = diffExperiments(ea, eb);
      if (f.json) {
        console.log(JSON.stringify(d, null, 2));
        return 0;
      }
      const show = (v: unknown) => (typeof v === 'number' ? String(Number(v.toFixed(6))) : JSON.stringify(v) ?? '—');
      console.log(`${ea.id} → ${eb.id}`);
      console.log(d.config.length ? `config:\n${d.config.map((c) => `  ${c.key}: ${show(c.a)} → ${show(c.b)}`).join('\n')}` : 'config: the same');
      console.log(d.metrics.length ? `metrics (latest records):\n${d.metrics.map((m) => `  ${m.key}: ${show(m.a)} → ${show(m.b)}`).join('\n')}` : 'metrics: the same');
      return 0;
    }));

  withThresholds(exp.command('archive'))
    .description('move finished experiments to experiments-archive/ (config, notes, metadata, runbooks, ledger and reports; checkpoints with --keep-checkpoints)')
    .option('--status <status>', `which: ${ARCHIVABLE.join(', ')} or all (never active or idle ones)`, 'all')
    .option('--dry-run', 'list what would move, move nothing')
    .option('--keep-checkpoints', 'keep the model folders too')
    .action(action(async (f: Thresholds & { status: string; dryRun?: boolean; keepCheckpoints?: boolean }) => {
      if (f.status !== 'all' && !(ARCHIVABLE as readonly string[]).includes(f.status)) throw new InputError(`invalid --status ${f.status} (expected ${ARCHIVABLE.join(', ')} or all)`);
      const plans = planArchive({ status: f.status as 'all', keepCheckpoints: f.keepCheckpoints, thresholds: thresholdsOf(f) });
      if (plans.length === 0) {
        console.log(`nothing to archive (status ${f.status})`);
        return 0;
      }
      for (const p of plans) console.log(`${f.dryRun ? 'would archive' : 'archiving'} ${p.exp.id} (${p.status}: ${p.why}) → ${p.to}/ keeping ${p.keeps.join(', ')}`);
      if (!f.dryRun) {
        archiveExperiments(plans);
        console.log(`archived ${plans.length} experiment(s)`);
      }
      return 0;
    }));

  exp.command('promote <experiment>')
    .description('promote the experiment\'s final model into models/promoted/, configs/<name>.yaml and models/registry.json — refused, naming each failing check and writing nothing, unless every check holds')
    .option('--dry-run', 'run the checks and say what would be written')
    .option('--config-name <name>', 'the production name (default: the experiment\'s name)')
    .option('--force', 'promote a challenger that is worse than the champion (needs --reason, which is recorded)')
    .option('--reason <text>', 'why --force')
    .option('--to <address>', 'also push the promoted model to a store: s3://bucket/prefix (it lands at <address>/<name>/v<N>/) or a folder')
    .option('--endpoint <url>', 'an S3-compatible endpoint: for --to, and for a champion that lives only in its store')
    .action(action(async (ref: string, f: { dryRun?: boolean; configName?: string; force?: boolean; reason?: string; to?: string; endpoint?: string }) => {
      if (f.force && !f.reason?.trim()) throw new InputError('--force needs --reason "…": the reason is recorded in the registry and the ledger');
      const e = findExperiment(ref);
      const result = await promoteExperiment(e, { name: f.configName, dryRun: f.dryRun, forceReason: f.force ? f.reason : undefined, to: f.to, storeOptions: { endpoint: f.endpoint }, log: (l) => console.log(l) });
      for (const c of result.checks) console.log(`  ${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}`);
      if (f.dryRun) {
        const ok = result.checks.every((c) => c.ok);
        const as = result.entries.map((x) => `${x.name} v${x.version} (target ${x.target})`).join(', ');
        const rule = result.entry?.symbols ? ` by ${result.entry.symbols.rule} symbols (passed: ${result.entry.symbols.passed.join(', ')}; failed: ${result.entry.symbols.failed.join(', ') || 'none'})` : '';
        console.log(ok ? `dry run: would promote ${e.id} as ${as}${rule}, writing:\n${result.writes.map((w) => `  ${w}`).join('\n')}` : 'dry run: the promotion would be refused');
        return ok ? 0 : 1;
      }
      console.log(`registry: models/registry.json; leaderboard: reports/leaderboard.md`);
      return 0;
    }));
}
