import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic';
import { CheckFailedError } from '../util/errors';

interface Reads {
  [splitKey: string]: { reads: number; first: string; runs: string[] };
}

/**
 * The test split is read once. Each read is recorded by split (its data sha256 and test
 * range) in `<artifacts>/test_reads.json`; a second read is refused unless it is allowed
 * explicitly, and then it is counted, so `finalization.test_reads == 1` shows it.
 */
export function recordTestRead(path: string, splitKey: string, run: string, allowReread = false): number {
  const reads = assertTestUnread(path, splitKey, allowReread);
  const entry = reads[splitKey];
  const next = { reads: (entry?.reads ?? 0) + 1, first: entry?.first ?? new Date().toISOString(), runs: [...(entry?.runs ?? []), run] };
  writeFileAtomic(path, JSON.stringify({ ...reads, [splitKey]: next }, null, 2) + '\n');
  return next.reads;
}

/** Refuse early (before any work) when the test split was read already and no re-read is allowed. */
export function assertTestUnread(path: string, splitKey: string, allowReread = false): Reads {
  const reads: Reads = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const entry = reads[splitKey];
  if (entry && !allowReread) {
    throw new CheckFailedError(
      `the test split was already read (${entry.reads} time(s), first ${entry.first} by run ${entry.runs[0]}): ` +
        'a second look turns the test set into a validation set. Make a new split on new data, or set finalization.allowTestReread: true, which is recorded.',
    );
  }
  return reads;
}
