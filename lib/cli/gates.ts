import type { Command } from 'commander';
import { verifyLedger } from '../gates/ledger';
import { formatNumber } from '../gates/messages';
import { bestRecord, intactRecords, modelDirOf } from '../gates/queries';
import type { GateRecord } from '../gates/record';
import { GATE_IDS, gateById } from '../pipeline/gates';
import { formatGateTable, table } from '../pipeline/summary';
import { InputError } from '../util/errors';
import { action } from './action';

const ledgerOption = ['--ledger <file>', 'the gate ledger', 'artifacts/gates.jsonl'] as const;

/** `gatebook gates [show <gate> | best --metric <m> | verify]` */
export function registerGates(program: Command): void {
  const gates = program.command('gates')
    .description('the gate ledger: latest record per gate (default), one gate, the best record, chain verification');

  gates.command('list', { isDefault: true })
    .description('the latest record of each gate: status, key metric, when, duration')
    .option(...ledgerOption)
    .action(action((flags: { ledger: string }) => {
      const records = intactRecords(flags.ledger);
      console.log(records.length ? formatGateTable(records) : `${flags.ledger}: no records yet (run \`gatebook pipeline\`)`);
      return 0;
    }));

  gates.command('show <gate>')
    .description("a gate's latest record: status, checks with thresholds, metrics, artifacts, provenance")
    .option(...ledgerOption)
    .option('--json', 'print the record as JSON')
    .action(action((gate: string, flags: { ledger: string; json?: boolean }) => {
      if (!gateById(gate)) throw new InputError(`invalid gate: ${gate} (gates: ${GATE_IDS.join(', ')})`);
      const record = intactRecords(flags.ledger).filter((r) => r.gate === gate).at(-1);
      if (!record) throw new InputError(`${flags.ledger}: no record of gate ${gate}`);
      console.log(flags.json ? JSON.stringify(record, null, 2) : describe(record));
      return 0;
    }));

  gates.command('best')
    .description('the record with the best value of a metric (highest, or lowest with --min)')
    .requiredOption('--metric <name>', 'metric name, e.g. val_f1')
    .option('--min', 'lower is better (losses, calibration error)')
    .option('--all', 'consider failed records too (by default only passing gates can be best)')
    .option(...ledgerOption)
    .action(action((flags: { metric: string; min?: boolean; all?: boolean; ledger: string }) => {
      const records = intactRecords(flags.ledger).filter((r) => flags.all || r.status === 'pass');
      const best = bestRecord(records, flags.metric, flags.min);
      if (!best) throw new InputError(`${flags.ledger}: no ${flags.all ? '' : 'passing '}record has metric ${flags.metric}${flags.all ? '' : ' (--all includes failed ones)'}`);
      const model = modelDirOf(best) ?? best.artifacts[0]?.path;
      console.log(`best ${flags.metric}: ${formatNumber(best.metrics[flags.metric] as number)} — gate ${best.gate}, run ${best.run}, experiment ${best.experiment}, ${best.finished} [record ${best.hash.slice(0, 10)}]`);
      console.log(`model: ${model ?? '(the gate saved no model)'}`);
      return 0;
    }));

  gates.command('verify')
    .description('check every line of the ledger: it parses, its hash holds, it chains to the line before; exit 1 at the first bad line')
    .option(...ledgerOption)
    .action(action((flags: { ledger: string }) => {
      const state = verifyLedger(flags.ledger);
      if (state.firstBad) {
        console.error(`${flags.ledger}: line ${state.firstBad.line}: ${state.firstBad.reason}`);
        console.error(`${state.records.length} record(s) before it are intact; ${state.lines - state.records.length} line(s) from it on are not used as evidence`);
        return 1;
      }
      console.log(`${flags.ledger}: ${state.records.length} record(s), chain intact${state.records.length ? ` (head ${state.records.at(-1)!.hash.slice(0, 12)}…)` : ''}`);
      return 0;
    }));
}

function describe(r: GateRecord): string {
  const checks = r.checks.map((c) => [c.pass ? '✓' : '✗', c.metric, c.op, Array.isArray(c.threshold) ? `[${c.threshold.map(formatNumber).join(', ')}]` : c.threshold === null ? 'n/a' : formatNumber(c.threshold), c.value === null ? 'n/a' : formatNumber(c.value), c.source]);
  const metrics = Object.entries(r.metrics).map(([k, v]) => `${k} = ${v === null ? 'n/a' : formatNumber(v)}`);
  return [
    `gate ${r.gate} (${r.phase}): ${r.status.toUpperCase()} — run ${r.run}, experiment ${r.experiment}`,
    `finished ${r.finished} in ${r.duration_s.toFixed(1)} s; record ${r.hash}`,
    r.decision ? `decision: ${r.decision}` : '',
    r.error ? `error: ${r.error}` : '',
    '',
    table(['', 'metric', 'op', 'threshold', 'value', 'threshold from'], checks),
    '',
    `metrics: ${metrics.join(', ')}`,
    ...r.artifacts.map((a) => `artifact ${a.path} sha256 ${a.sha256.slice(0, 16)}…`),
    `provenance: git ${r.provenance.git.commit?.slice(0, 10) ?? 'n/a'}${r.provenance.git.dirty ? ' (dirty)' : ''}, config ${r.provenance.config_sha256.slice(0, 10)}, data ${r.provenance.data_sha256?.slice(0, 10) ?? 'n/a'}, seed ${r.provenance.seed}, ${r.provenance.backend} on ${r.provenance.device}, ${Object.entries(r.provenance.versions).map(([k, v]) => `${k} ${v}`).join(', ')}, host ${r.provenance.host}`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}
