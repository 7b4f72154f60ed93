import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendRecord, verifyLedger, verifyLedgerText, type GateRecord } from '../gates';
import { CheckFailedError } from '../util/errors';
import { sha256FileSync } from '../util/hash';
import { findRun, runDirOf, saveRun, type LocalRun } from './runs';
import { connectTo, type ConnectOptions } from './status';
import type { RunState } from './launcher';
import { shq, type SshSession } from './session';

export interface FetchOptions {
  root: string;
  /** The local ledger the records join, and the folder their artifacts land in (under `remote/<host>/`). */
  ledger: string;
  artifacts: string;
  /** Every record of the box's ledger not merged yet, not only those the run appended. */
  all?: boolean;
  /** Keep the run's record here (`.gatebook/remote/`) up to date (default true; false for a ledger that is not a remote run's, e.g. a SLURM task's). */
  record?: boolean;
  log: (line: string) => void;
}

export interface FetchReport { merged: number; skipped: number; files: number; bytes: number }

/** A host label as a folder name. */
const folderName = (label: string) => label.replace(/[^A-Za-z0-9_.@-]+/g, '_');

/**
 * Bring a run's evidence home: the box's ledger must verify there (`gates verify`, its own
 * key and anchor) and here (every line's hash and the `prev` chain); then every artifact
 * the run's records name is downloaded and checked against its sha256; only when all of
 * it holds are the records appended here — as new records sealed by this ledger, their
 * provenance naming the host, the run and the record's hash there — skipping those merged
 * before. The merged chain must verify. Anything wrong: nothing is merged.
 */
export async function fetchRun(session: SshSession, run: LocalRun, o: FetchOptions): Promise<FetchReport> {
  const remoteLedger = run.ledger.startsWith('/') ? run.ledger : `${run.workdir}/${run.ledger}`;
  const there = await session.exec(`cd ${shq(run.workdir)} && node bin/gatebook.js gates verify --ledger ${shq(run.ledger)}`);
  if (there.code !== 0) throw new CheckFailedError(`${run.host}:${remoteLedger} does not verify on the box: ${(there.stdout + there.stderr).trim()}\nnothing merged`);
  const text = (await session.readFile(remoteLedger))?.toString('utf8') ?? '';
  const checked = verifyLedgerText(text, { keyed: false });
  if (checked.firstBad) throw new CheckFailedError(`${run.host}:${remoteLedger} line ${checked.firstBad.line}: ${checked.firstBad.reason}; nothing merged`);
  const state = JSON.parse((await session.readFile(`${runDirOf(run)}/state.json`))?.toString('utf8') ?? 'null') as RunState | null;
  const from = o.all ? 0 : (state?.ledger_records_at_start ?? 0);
  const merged = new Set(verifyLedger(o.ledger).records.map((r) => r.provenance.remote?.record).filter(Boolean));
  const fresh = checked.records.slice(from).filter((r) => !merged.has(r.hash));
  const report: FetchReport = { merged: 0, skipped: checked.records.length - from - fresh.length, files: 0, bytes: 0 };
  const home = join(o.artifacts, 'remote', folderName(run.host));
  const files = await downloadArtifacts(session, run, fresh, home, report, o.log);
  for (const [tmp, target] of files) {
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
  }
  for (const record of fresh) {
    await appendRecord(o.ledger, homeRecord(record, run, remoteLedger, (p) => localPath(home, run.workdir, p)));
    report.merged++;
  }
  const after = verifyLedger(o.ledger);
  if (after.firstBad) throw new CheckFailedError(`${o.ledger} line ${after.firstBad.line} after the merge: ${after.firstBad.reason}`);
  if (o.record === false) return report;
  await keepLog(session, run, home);
  run.fetched = { at: new Date().toISOString(), records: report.merged + report.skipped };
  saveRun(o.root, run);
  return report;
}

/** A record's artifact path on the box: as written, or relative to the folder the run ran in. */
const onBox = (workdir: string, path: string) => (path.startsWith('/') ? path : `${workdir}/${path}`);

/** Where an artifact of the box lands here: its path under the workdir, below `remote/<host>/` (`abs/…` for one outside it). */
function localPath(home: string, workdir: string, remotePath: string): string {
  const path = onBox(workdir, remotePath);
  return path.startsWith(`${workdir}/`) ? join(home, path.slice(workdir.length + 1)) : join(home, 'abs', path);
}

/** Every artifact of the records into a temporary name beside its target, checked; a mismatch removes them all and refuses. */
async function downloadArtifacts(session: SshSession, run: LocalRun, records: GateRecord[], home: string, report: FetchReport, log: (line: string) => void): Promise<Map<string, string>> {
  const wanted = new Map<string, string>();
  for (const r of records) for (const a of r.artifacts) wanted.set(a.path, a.sha256);
  const done = new Map<string, string>();
  try {
    for (const [path, sha256] of wanted) {
      const target = localPath(home, run.workdir, path);
      const tmp = `${target}.fetch-${process.pid}.tmp`;
      mkdirSync(dirname(target), { recursive: true });
      done.set(tmp, target);
      await session.download(onBox(run.workdir, path), tmp);
      const got = sha256FileSync(tmp);
      if (got !== sha256) throw new CheckFailedError(`${run.host}:${path}: its sha256 ${got.slice(0, 12)}… is not the ${sha256.slice(0, 12)}… its record says (changed on the box after the record was written?); nothing merged`);
      report.files++;
      report.bytes += statSync(tmp).size;
      log(`  ↓ ${path}`);
    }
  } catch (error) {
    for (const tmp of done.keys()) rmSync(tmp, { force: true });
    throw error;
  }
  return done;
}

function homeRecord(record: GateRecord, run: LocalRun, ledger: string, move: (path: string) => string) {
  const { prev: _prev, hash, mac: _mac, ...rest } = record;
  return {
    ...rest,
    artifacts: rest.artifacts.map((a) => ({ path: move(a.path), sha256: a.sha256 })),
    provenance: { ...rest.provenance, remote: { host: run.host, run: run.id, record: hash, ledger } },
  };
}

async function keepLog(session: SshSession, run: LocalRun, home: string): Promise<void> {
  const log = await session.readFile(`${runDirOf(run)}/log`);
  if (!log) return;
  mkdirSync(join(home, 'runs'), { recursive: true });
  writeFileSync(join(home, 'runs', `${run.id}.log`), log);
}

/** Where a run's records go here: `ledger`, else `artifacts`/gates.jsonl, else the same path as the run's ledger on the box. */
export function homeOf(run: LocalRun, o: { ledger?: string; artifacts?: string }): { ledger: string; artifacts: string } {
  const ledger = o.ledger ?? (o.artifacts ? join(o.artifacts, 'gates.jsonl') : run.ledger.startsWith('/') ? join('artifacts', 'gates.jsonl') : run.ledger);
  return { ledger, artifacts: o.artifacts ?? dirname(ledger) };
}

/** Connect to the run's host (as it was started) and fetch it: what `gatebook remote fetch` and notebook 21 call. */
export async function fetchRemote(id: string | undefined, o: { ledger?: string; artifacts?: string; all?: boolean; root?: string; log?: (line: string) => void } & ConnectOptions): Promise<{ run: LocalRun; report: FetchReport; session: SshSession }> {
  const root = o.root ?? process.cwd();
  const run = findRun(root, id);
  const session = await connectTo(run.host, o, run.connect);
  try {
    const report = await fetchRun(session, run, { root, ...homeOf(run, o), all: o.all, log: o.log ?? (() => undefined) });
    return { run, report, session };
  } catch (error) {
    session.close();
    throw error;
  }
}
