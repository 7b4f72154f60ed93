import type { GateRecord } from '../gates/record';
import type { SplitFile } from '../split/splitFile';
import { CheckFailedError, InputError } from '../util/errors';
import { pausePoint } from '../util/faults';
import { sha256 } from '../util/hash';
import type { RunContext } from './context';

/**
 * The test split is read once. The guard lives in the ledger: a gate that reads it (the
 * finalization, the symbol gates) first checks for earlier reads of the same split —
 * refused unless `finalization.allowTestReread` — and records its own read before it
 * happens, so a crash from then on is visible, counted, and never resets the guard.
 */
export const TEST_READ = 'test_read';

/** What identifies a test split in the ledger's test reads: the data and the test rows (each symbol's, for several). */
export function testSplitKey(split: SplitFile): string {
  const rows = split.symbols?.length ? split.symbols.map((s) => `${s.symbol}:${s.test.start}-${s.test.end}`).join(',') : `${split.test.start}-${split.test.end}`;
  return sha256(`${split.dataSha256}:${rows}`);
}

/** Refuse now (before any training) when the split was read and rereads are not allowed; the earlier reads otherwise. */
export function guardTestRead(ctx: RunContext, split: SplitFile, gate: string): GateRecord[] {
  if (!ctx.ledger) throw new InputError(`gate ${gate} records its test read in the ledger: run it through the pipeline`);
  const key = testSplitKey(split);
  const earlier = ctx.ledger.records().filter((r) => r.gate === TEST_READ && r.inputs_sha256 === key);
  if (earlier.length && !ctx.config.finalization.allowTestReread) {
    const results = ctx.ledger.records().filter((r) => r.gate !== TEST_READ && r.status !== 'error');
    const said = earlier.map((r) => `${r.finished} by run ${r.run}${results.some((f) => f.run === r.run && f.finished >= r.finished) ? '' : ' (it recorded no result: it crashed or was killed)'}`);
    throw new CheckFailedError(
      `the test split was already read ${earlier.length} time(s): ${said.join('; ')}. A second look turns the test set into a validation set. ` +
        'Make a new split on new data, or set finalization.allowTestReread: true, which is recorded and counted.',
    );
  }
  return earlier;
}

/** Record the read (this run's, counted after the earlier ones) before it happens; returns the count. */
export async function recordTestRead(ctx: RunContext, split: SplitFile, gate: string, earlier: GateRecord[]): Promise<number> {
  const reads = earlier.length + 1;
  await ctx.ledger!.appendEvent({
    gate: TEST_READ, inputs: testSplitKey(split), metrics: { read: reads, test_start: split.test.start, test_end: split.test.end },
    note: `run ${ctx.run} (gate ${gate}) reads the test split (${split.symbols?.length ? `${split.symbols.length} symbols, ` : ''}rows ${split.test.start}–${split.test.end} of data ${split.dataSha256.slice(0, 12)}…), read ${reads}`,
  });
  pausePoint('test-read');
  return reads;
}
