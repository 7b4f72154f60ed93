import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { anchorPathOf, readAnchor, writeAnchor } from '../gates/anchor';
import { latestByGate, verifyLedger } from '../gates/ledger';
import { GENESIS } from '../gates/record';
import { sha256File } from '../util/hash';
import { formatNumber } from '../gates/messages';
import { bestRecord, intactRecords, modelDirOf } from '../gates/queries';
import type { GateRecord } from '../gates/record';
import { GATE_IDS, gateById } from '../pipeline/gates';
import { formatGateTable, table } from '../pipeline/summary';
import { CheckFailedError, InputError } from '../util/errors';
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
    .description('check every line of the ledger: it parses, its hash and keyed mac hold, it chains to the line before,\n' +
      'and the chain reaches its anchor (this machine\'s, and --anchor\'s); exit 1 naming the first bad line')
    .option(...ledgerOption)
    .option('--anchor <file>', 'also hold the ledger against this exported anchor (`gatebook gates anchor --out`)')
    .option('--artifacts', 'also check that every file the latest records point at still has its recorded sha256')
    .action(action(async (flags: { ledger: string; anchor?: string; artifacts?: boolean }) => {
      const states = [verifyLedger(flags.ledger), ...(flags.anchor ? [verifyLedger(flags.ledger, { anchorFile: flags.anchor })] : [])];
      const bad = states.find((s) => s.firstBad);
      if (bad?.firstBad) {
        console.error(`${flags.ledger}: line ${bad.firstBad.line}: ${bad.firstBad.reason}`);
        console.error(`${bad.records.length} record(s) before it are intact; ${Math.max(0, bad.lines - bad.records.length)} line(s) from it on are not used as evidence`);
        return 1;
      }
      const state = states[0];
      const anchors = states.map((s) => s.anchor).filter(Boolean).length;
      console.log(`${flags.ledger}: ${state.records.length} record(s), chain intact${state.records.length ? ` (head ${state.records.at(-1)!.hash.slice(0, 12)}…)` : ''}, ` +
        (anchors ? `reaches its anchor${anchors > 1 ? 's' : ''}` : 'no anchor on this machine (truncation cannot be ruled out: see `gatebook gates anchor`)'));
      if (!flags.artifacts) return 0;
      const problems = await artifactProblems([...latestByGate(state.records).values()]);
      for (const p of problems) console.error(`  ✗ ${p}`);
      console.log(problems.length ? `${problems.length} artifact(s) differ from their records` : 'every artifact of the latest records has its recorded sha256');
      return problems.length ? 1 : 0;
    }));

  gates.command('anchor')
    .description("the ledger's anchor (record count and head hash, keyed), kept outside the ledger so that cutting lines off its end shows;\n" +
      'every append moves this machine\'s anchor; --out exports one to commit or keep elsewhere')
    .option(...ledgerOption)
    .option('--out <file>', 'write an anchor of the ledger as it is now (it must verify) to this file')
    .option('--reset', "point this machine's anchor at the ledger as it is now (after starting a new ledger on purpose)")
    .action(action((flags: { ledger: string; out?: string; reset?: boolean }) => {
      if (flags.reset) {
        const before = readAnchor(flags.ledger);
        const records = verifyLedger(flags.ledger, { anchorFile: null }).records;
        const after = writeAnchor(flags.ledger, records.length, records.at(-1)?.hash ?? GENESIS);
        console.log(`${anchorPathOf(flags.ledger)}: ${before ? `was ${before.records} record(s) at ${before.head.slice(0, 12)}…, ` : ''}now ${after.records} record(s)${records.length ? ` at ${after.head.slice(0, 12)}…` : ''}`);
        return 0;
      }
      const state = verifyLedger(flags.ledger);
      if (state.firstBad) throw new CheckFailedError(`${flags.ledger}: line ${state.firstBad.line}: ${state.firstBad.reason}; no anchor written`);
      const head = state.records.at(-1)?.hash ?? GENESIS;
      if (flags.out) {
        writeAnchor(flags.ledger, state.records.length, head, flags.out);
        console.log(`wrote ${flags.out}: ${state.records.length} record(s), head ${head.slice(0, 12)}… (hold the ledger against it with \`gatebook gates verify --anchor ${flags.out}\`)`);
      } else {
        console.log(`${anchorPathOf(flags.ledger)}: ${state.anchor ? `${state.anchor.records} record(s), head ${state.anchor.head.slice(0, 12)}…, updated ${state.anchor.updated}` : 'none yet'}`);
      }
      return 0;
    }));
}

/** Files the records point at that are missing or whose sha256 differs from the record's. */
async function artifactProblems(records: GateRecord[]): Promise<string[]> {
  const problems: string[] = [];
  for (const r of records) {
    for (const a of r.artifacts) {
      if (!existsSync(a.path)) problems.push(`${a.path}: missing (recorded by gate ${r.gate}, record ${r.hash.slice(0, 10)})`);
      else if ((await sha256File(a.path)) !== a.sha256) problems.push(`${a.path}: sha256 differs from gate ${r.gate}'s record ${r.hash.slice(0, 10)} (the file changed after the gate wrote it)`);
    }
  }
  return problems;
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
