import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFully } from '../util/atomic';
import { writeError } from '../util/disk';
import { GatebookError } from '../util/errors';
import { pausePoint } from '../util/faults';
import { acquireLock, type LockOwner } from '../util/lock';
import { anchorProblem, readAnchor, writeAnchor, type Anchor } from './anchor';
import { keyedMac } from './ledgerKey';
import { GateRecord, GENESIS, hashRecord, sealRecord, type UnsealedRecord } from './record';

/** What `verifyLedger` found: the records on the intact chain, and the first bad line if any. */
export interface LedgerState {
  path: string;
  /** Records from the first line up to (not including) the first bad one. */
  records: GateRecord[];
  lines: number;
  firstBad: { line: number; reason: string } | null;
  /** The anchor the ledger was held against (null: none on this machine and none given). */
  anchor: Anchor | null;
}

/** The ledger of an artifacts folder unless another is named (`--ledger`, a notebook's `ledger` parameter). */
export function ledgerPathOf(artifactsDir: string, ledger?: string): string {
  return ledger || `${artifactsDir}/gates.jsonl`;
}

/** The ledger's end does not match what its anchor (or the line chained to) says: nothing is appended. */
export class LedgerTamperedError extends GatebookError {}

/**
 * Append one record to the ledger, all or nothing: under the ledger's lock (which a
 * paused writer never loses while its process lives), read the last record, check it is
 * intact and where the anchor says the ledger ends, chain and seal the new record (hash
 * and keyed mac), check the lock is still ours, write the line in full — a short write or a
 * full disk truncates the file back to where it was and fails the append — fsync it (and its
 * folder when the file is new), then move the anchor. Safe with concurrent writers
 * (processes or not); nothing else ever shortens the file.
 */
export async function appendRecord(path: string, record: UnsealedRecord, o: { onWait?: (owner: LockOwner) => void } = {}): Promise<GateRecord> {
  const created = !existsSync(path);
  mkdirSync(dirname(path), { recursive: true });
  const lock = await acquireLock(path, {
    purpose: 'a ledger append',
    onWait: o.onWait ?? ((owner) => process.stderr.write(`waiting for the ledger lock on ${path} held by pid ${owner.pid} on ${owner.host} since ${owner.started} (${owner.purpose})\n`)),
  });
  try {
    const tail = lastRecord(path);
    const count = recordsBefore(path, tail);
    const sealed = sealRecord(record, tail?.hash ?? GENESIS);
    pausePoint('ledger-append');
    if (!lock.stillHeld()) throw new GatebookError(`${path}: the ledger lock was taken over while this append waited; nothing appended (run it again)`);
    appendLine(path, JSON.stringify(sealed) + '\n', created);
    pausePoint('ledger-anchor'); // the line is on disk, the anchor not yet moved
    writeAnchor(path, count + 1, sealed.hash);
    return sealed;
  } finally {
    lock.release();
  }
}

function appendLine(path: string, line: string, created: boolean): void {
  const fd = openSync(path, 'a');
  const before = fstatSync(fd).size;
  try {
    writeFully(fd, Buffer.from(line));
    fsyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, before); // the line lands whole or not at all
      fsyncSync(fd);
    } catch { /* the truncation failed too: verify will name the torn line */ }
    throw writeError(error, path);
  } finally {
    closeSync(fd);
  }
  if (created) fsyncFolder(dirname(path));
}

function fsyncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * How many records precede the new one: the anchor's count when the anchor ends where the
 * ledger does (one read of the last line, not of the file); the whole file counted when this
 * machine has no anchor yet, or when the ledger runs on past its anchor — intact, the anchor's
 * record where it says (a writer killed after its line's fsync and before the anchor moved:
 * `gates verify` accepts that ledger, and this append brings the anchor up to it). A ledger
 * that ends elsewhere than its anchor, or short of it, is refused.
 */
function recordsBefore(path: string, tail: GateRecord | null): number {
  const anchor = readAnchor(path);
  if (!anchor) return tail ? verifyLedger(path).records.length : 0;
  if (anchor.head === (tail?.hash ?? '') && anchor.records > 0) return anchor.records;
  if (!tail && anchor.records === 0) return 0;
  if (tail) {
    const whole = verifyLedger(path); // under the lock: its last record is `tail`, and an intact chain reaches its anchor
    if (whole.firstBad === null) return whole.records.length;
  }
  throw new LedgerTamperedError(
    `${path}: the ledger ends at ${tail ? `record ${tail.hash.slice(0, 12)}…` : 'nothing'} but its anchor (${anchor.updated}) says ${anchor.records} record(s) ending at ${anchor.head.slice(0, 12)}…: ` +
      'records were cut off or rewritten; nothing appended. Run `gatebook gates verify` to see where.',
  );
}

/** The last record, or null for an empty ledger; a torn or edited last line is refused. */
function lastRecord(path: string): GateRecord | null {
  const last = lastLine(path);
  if (last === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(last.text);
  } catch {
    raw = null;
  }
  const parsed = GateRecord.safeParse(raw);
  if (!parsed.success || contentHash(raw as Record<string, unknown>) !== parsed.data.hash || keyedMac(parsed.data.hash) !== parsed.data.mac) {
    throw new LedgerTamperedError(
      `${path}: the last line is not an intact gate record (torn, edited, or sealed with another key); nothing appended. ` +
        'Run `gatebook gates verify` to see where the chain breaks.',
    );
  }
  return parsed.data;
}

/** The last line of a file without reading all of it; null when the file is empty or missing. */
function lastLine(path: string): { text: string } | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return null;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      if (!text.endsWith('\n')) return { text: text.slice(text.lastIndexOf('\n') + 1) }; // torn: no newline
      const body = text.slice(0, -1);
      const cut = body.lastIndexOf('\n');
      if (cut >= 0 || start === 0) return { text: body.slice(cut + 1) };
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** Hash of a record as written (every key, known or not, except `hash` and `mac`). */
function contentHash(raw: Record<string, unknown>): string {
  const { hash: _hash, mac: _mac, ...rest } = raw;
  return hashRecord(rest as Omit<GateRecord, 'hash' | 'mac'>);
}

/**
 * Read the whole ledger and check every line: it parses, it is a gate record, its hash
 * matches its content, its mac matches its hash under the ledger key (a rewrite without
 * the key fails here), its `prev` is the hash of the line before — and the chain reaches
 * its anchor (this machine's, or `anchorFile`; null: none): a ledger cut short fails there. Records from
 * the first bad line on are on a broken chain: they are never returned as evidence.
 */
export function verifyLedger(path: string, o: { anchorFile?: string | null } = {}): LedgerState {
  const anchor = o.anchorFile === null ? null : readAnchor(path, o.anchorFile);
  const state: LedgerState = { path, records: [], lines: 0, firstBad: null, anchor };
  if (!existsSync(path)) {
    if (anchor && anchor.records > 0) state.firstBad = { line: 1, reason: `the ledger is missing but its anchor says ${anchor.records} record(s)` };
    return state;
  }
  Object.assign(state, verifyLedgerText(readFileSync(path, 'utf8')));
  const short = anchor ? anchorProblem(state.records.map((r) => r.hash), anchor) : null;
  if (short && !state.firstBad) state.firstBad = { line: state.records.length + 1, reason: short };
  return state;
}

/**
 * Check a ledger's text line by line (parse, schema, hash, `prev` chain, and — unless
 * `keyed` is false — the mac under this machine's ledger key). `keyed: false` checks a
 * ledger sealed elsewhere (a remote box's, whose key never leaves it): an edited line or a
 * broken chain still shows, a rewrite with every hash recomputed does not — that is what
 * the remote's own `gates verify` is for.
 */
export function verifyLedgerText(text: string, o: { keyed?: boolean } = {}): Pick<LedgerState, 'records' | 'lines' | 'firstBad'> {
  const lines = text.split('\n');
  const torn = lines[lines.length - 1] !== '';
  if (!torn) lines.pop();
  const state: Pick<LedgerState, 'records' | 'lines' | 'firstBad'> = { records: [], lines: lines.length, firstBad: null };
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const reason = lineProblem(lines[i], prev, torn && i === lines.length - 1, o.keyed ?? true);
    if (reason) {
      state.firstBad = { line: i + 1, reason };
      break;
    }
    const record = GateRecord.parse(JSON.parse(lines[i]));
    state.records.push(record);
    prev = record.hash;
  }
  return state;
}

function lineProblem(line: string, prev: string, torn: boolean, keyed: boolean): string | null {
  if (torn) return 'torn line (no newline at the end of the file: an interrupted write)';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const parsed = GateRecord.safeParse(json);
  if (!parsed.success && json && typeof json === 'object' && 'hash' in json && !('mac' in json)) {
    return 'a record without a mac (written before ledgers were keyed): nothing vouches that it was not rewritten; move this ledger aside and start a new one';
  }
  if (!parsed.success) return `not a gate record (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`;
  const record = parsed.data;
  if (contentHash(json as Record<string, unknown>) !== record.hash) return 'hash does not match the content (the record was edited)';
  if (keyed && keyedMac(record.hash) !== record.mac) return 'mac does not match the hash under the ledger key (the record was forged, or sealed with another key)';
  if (record.prev !== prev) return `prev ${record.prev.slice(0, 12)}… is not the hash of the line before (${prev.slice(0, 12)}…): a line was removed, inserted or moved`;
  return null;
}

/** A record's place among the latest: its gate, or `gate@symbol` for a gate's record of one symbol. */
export function recordKey(r: Pick<GateRecord, 'gate' | 'symbol'>): string {
  return r.symbol === undefined ? r.gate : `${r.gate}@${r.symbol}`;
}

/** The latest record of each gate on the intact chain (and of each gate's symbols, as `gate@symbol`). */
export function latestByGate(records: GateRecord[]): Map<string, GateRecord> {
  const latest = new Map<string, GateRecord>();
  for (const r of records) latest.set(recordKey(r), r);
  return latest;
}
