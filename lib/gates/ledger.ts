import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { GatebookError } from '../util/errors';
import { GateRecord, GENESIS, hashRecord, sealRecord, type UnsealedRecord } from './record';

/** The ledger of an artifacts folder unless another is named (`--ledger`, a notebook's `ledger` parameter). */
export function ledgerPathOf(artifactsDir: string, ledger?: string): string {
  return ledger || `${artifactsDir}/gates.jsonl`;
}

/** What `verifyLedger` found: the records on the intact chain, and the first bad line if any. */
export interface LedgerState {
  path: string;
  /** Records from the first line up to (not including) the first bad one. */
  records: GateRecord[];
  lines: number;
  firstBad: { line: number; reason: string } | null;
}

const LOCK_OPTIONS = { stale: 10_000, retries: { retries: 2000, factor: 1.3, minTimeout: 2, maxTimeout: 50, randomize: true }, realpath: false };

/**
 * Append one record to the ledger: under an exclusive lock, read the last record's hash,
 * chain the new record to it, write it as one line with a single append and fsync.
 * Safe with concurrent writers (processes or not); nothing ever truncates the file.
 * Refuses to extend a ledger whose last line is not an intact record.
 */
export async function appendRecord(path: string, record: UnsealedRecord): Promise<GateRecord> {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) closeSync(openSync(path, 'a'));
  const release = await lockfile.lock(path, LOCK_OPTIONS);
  try {
    const sealed = sealRecord(record, lastHash(path));
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, JSON.stringify(sealed) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return sealed;
  } finally {
    await release();
  }
}

/** Hash of the last record, or the genesis hash for an empty ledger. */
function lastHash(path: string): string {
  const last = lastLine(path);
  if (last === null) return GENESIS;
  let raw: unknown;
  try {
    raw = JSON.parse(last.text);
  } catch {
    raw = null;
  }
  const parsed = GateRecord.safeParse(raw);
  if (!parsed.success || contentHash(raw as Record<string, unknown>) !== parsed.data.hash) {
    throw new GatebookError(
      `${path}: the last line is not an intact gate record (torn or edited); nothing appended. ` +
        'Run `gatebook gates verify` to see where the chain breaks.',
    );
  }
  return parsed.data.hash;
}

/** The last line of a file without reading all of it; null when the file is empty. */
function lastLine(path: string): { text: string } | null {
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

/** Hash of a record as written (every key, known or not, except `hash` itself). */
function contentHash(raw: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = raw;
  return hashRecord(rest as Omit<GateRecord, 'hash'>);
}

/**
 * Read the whole ledger and check every line: it parses, it is a gate record, its hash
 * matches its content, and its `prev` is the hash of the line before. Records from the
 * first bad line on are on a broken chain: they are never returned as evidence.
 */
export function verifyLedger(path: string): LedgerState {
  const state: LedgerState = { path, records: [], lines: 0, firstBad: null };
  if (!existsSync(path)) return state;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const torn = lines[lines.length - 1] !== '';
  if (!torn) lines.pop();
  state.lines = lines.length;
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const reason = lineProblem(lines[i], prev, torn && i === lines.length - 1);
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

function lineProblem(line: string, prev: string, torn: boolean): string | null {
  if (torn) return 'torn line (no newline at the end of the file: an interrupted write)';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const parsed = GateRecord.safeParse(json);
  if (!parsed.success) return `not a gate record (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`;
  const record = parsed.data;
  if (contentHash(json as Record<string, unknown>) !== record.hash) return 'hash does not match the content (the record was edited)';
  if (record.prev !== prev) return `prev ${record.prev.slice(0, 12)}… is not the hash of the line before (${prev.slice(0, 12)}…): a line was removed, inserted or moved`;
  return null;
}

/** The latest record of each gate on the intact chain. */
export function latestByGate(records: GateRecord[]): Map<string, GateRecord> {
  const latest = new Map<string, GateRecord>();
  for (const r of records) latest.set(r.gate, r);
  return latest;
}
