import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import pl from 'nodejs-polars';
import { z } from 'zod';
import { InputError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import { detectInterval, formatInterval } from './interval';
import { ohlcvArrays, requireOhlcv, symbolsOf } from './ohlcv';

/** The JSON written beside every dataset: what it is, where it came from, its hash. */
export const DatasetManifest = z.object({
  file: z.string(),
  rows: z.number().int().nonnegative(),
  symbols: z.array(z.string()),
  interval: z.string().nullable(),
  span: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  source: z.record(z.unknown()),
  created: z.string(),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;

/** `data/x.parquet` → `data/x.manifest.json`. */
export function manifestPathOf(parquetPath: string): string {
  return parquetPath.replace(/\.parquet$/i, '') + '.manifest.json';
}

/**
 * sha256 of an OHLCV frame's content (timestamps, prices, volumes as little-endian float64,
 * then the symbols): stable across parquet writers and machines, unlike the file's bytes.
 */
export function frameSha256(frame: pl.DataFrame): string {
  const a = ohlcvArrays(frame);
  const hash = createHash('sha256');
  for (const column of [a.timestamp, a.open, a.high, a.low, a.close, a.volume]) {
    hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
  }
  hash.update((frame.getColumn('symbol').toArray() as string[]).join('\n'));
  return hash.digest('hex');
}

/** The manifest of a frame (nothing written). */
export function describeDataset(frame: pl.DataFrame, file: string, source: Record<string, unknown>): DatasetManifest {
  const t = frame.getColumn('timestamp').cast(pl.Float64).toTypedArray() as Float64Array;
  const interval = detectInterval(t);
  const n = t.length;
  return {
    file,
    rows: n,
    symbols: symbolsOf(frame),
    interval: interval === null ? null : formatInterval(interval),
    span: { start: n ? new Date(t[0]).toISOString() : null, end: n ? new Date(t[n - 1]).toISOString() : null },
    sha256: frameSha256(frame),
    source,
    created: new Date().toISOString(),
  };
}

/** Write the frame as parquet and its manifest beside it (each atomically). */
export function saveDataset(frame: pl.DataFrame, path: string, source: Record<string, unknown>): DatasetManifest {
  requireOhlcv(frame, path);
  const manifest = describeDataset(frame, path, source);
  writeFileAtomic(path, frame.writeParquet({ compression: 'zstd' } as never) as unknown as Buffer);
  writeFileAtomic(manifestPathOf(path), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Read a parquet dataset; when it has a manifest, its rows and sha256 must match. */
export function loadDataset(path: string): { frame: pl.DataFrame; manifest: DatasetManifest | null } {
  if (!existsSync(path)) throw new InputError(`${path}: no such dataset (make one with \`gatebook data generate\` or \`gatebook data import\`)`);
  let frame: pl.DataFrame;
  try {
    frame = pl.readParquet(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read as parquet: ${(error as Error).message}`);
  }
  requireOhlcv(frame, path);
  const manifest = readManifest(manifestPathOf(path));
  if (manifest) {
    const sha = frameSha256(frame);
    if (manifest.rows !== frame.height || manifest.sha256 !== sha) {
      throw new InputError(
        `${path} does not match its manifest ${manifestPathOf(path)}: expected ${manifest.rows} rows, sha256 ${manifest.sha256.slice(0, 12)}…; ` +
          `found ${frame.height} rows, sha256 ${sha.slice(0, 12)}…. The file changed after it was written: regenerate or re-import it.`,
      );
    }
  }
  return { frame, manifest };
}

function readManifest(path: string): DatasetManifest | null {
  if (!existsSync(path)) return null;
  const parsed = DatasetManifest.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new InputError(`${path}: not a dataset manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
