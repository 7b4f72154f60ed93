import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import type { Fold } from './walkForward';
import type { SymbolSegment } from './symbols';
import type { TemporalSplit } from './temporal';

const Range = z.object({ start: z.number().int(), end: z.number().int(), rows: z.number().int(), from: z.string().nullable(), to: z.string().nullable() });

/** The JSON a split is saved as: row ranges and times, tied to the data by its sha256. */
export const SplitFile = z.object({
  version: z.literal(1),
  dataSha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().nonnegative(),
  train: Range,
  val: Range,
  test: Range,
  purgeBars: z.number().int(),
  embargoBars: z.number().int(),
  window: z.number().int(),
  horizon: z.number().int(),
  folds: z.array(z.object({ index: z.number().int(), train: Range, test: Range })).default([]),
  /** A multi-symbol split: each symbol's rows and parts, aligned in time (lib/split/symbols.ts); the top-level parts sum them. */
  symbols: z.array(z.object({ symbol: z.string(), start: z.number().int(), end: z.number().int(), train: Range, val: Range, test: Range })).optional(),
});
export type SplitFile = z.infer<typeof SplitFile>;

export function splitFile(split: TemporalSplit & { symbols?: SymbolSegment[] }, dataSha256: string, rows: number, folds: Fold[] = []): SplitFile {
  return { version: 1, dataSha256, rows, ...split, folds };
}

export function saveSplit(path: string, split: SplitFile): void {
  writeFileAtomic(path, JSON.stringify(split, null, 2) + '\n');
}

/** Read a split; when `dataSha256` is given, the split must have been made on that data. */
export function loadSplit(path: string, dataSha256?: string): SplitFile {
  if (!existsSync(path)) throw new InputError(`${path}: no such split file (make one with \`gatebook split make\`)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const parsed = SplitFile.safeParse(json);
  if (!parsed.success) {
    throw new InputError(`${path}: not a split file: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  if (dataSha256 !== undefined && parsed.data.dataSha256 !== dataSha256) {
    throw new InputError(
      `${path} was made on data with sha256 ${parsed.data.dataSha256.slice(0, 12)}…, not this data (${dataSha256.slice(0, 12)}…): ` +
        'make the split again on this data with `gatebook split make`',
    );
  }
  return parsed.data;
}
