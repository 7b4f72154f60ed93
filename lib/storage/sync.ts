import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { CheckFailedError, InputError } from '../util/errors';
import { sha256FileSync } from '../util/hash';
import { fileStore } from './fileStore';
import { s3Store } from './s3Store';
import type { ArtifactStore, StoreOptions } from './store';

/**
 * Push and pull a folder of artifacts by a sha256 manifest (`gatebook-manifest.json` at the
 * store's prefix): a push uploads only the files whose sha256 the remote manifest does not
 * already list, then writes the manifest — last, so it lists only whole uploads; a pull
 * downloads what differs from the local files into temporary names, checks each against the
 * manifest's sha256 and only then renames it into place (a corrupted object is refused, by
 * key, and leaves nothing).
 */
export const MANIFEST = 'gatebook-manifest.json';

const Manifest = z.object({
  format: z.literal('gatebook-artifacts'),
  version: z.literal(1),
  files: z.record(z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })),
}).strict();
type Manifest = z.infer<typeof Manifest>;

/** The store an address names: `s3://bucket/prefix`, or `file:` / a plain path (a folder). */
export function storeFor(address: string, o: StoreOptions = {}): ArtifactStore {
  if (address.startsWith('s3://')) return s3Store(address, o);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address) && !address.startsWith('file://')) throw new InputError(`${address}: no artifact store for this address (use s3://bucket/prefix, file:<folder> or a folder)`);
  return fileStore(address.replace(/^file:(\/\/)?/, ''));
}

export interface SyncReport {
  sent: string[];
  skipped: string[];
  bytes: number;
}

/** Files under `dir` to push (paths relative to it), without locks and temporary files. */
export function filesUnder(dir: string, only?: string[]): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    if (e.name.endsWith('.lock') || e.name.endsWith('.tmp') || /\.tmp-|\.new-/.test(e.name)) return [];
    return e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? [relative(dir, join(d, e.name))] : [];
  });
  if (!existsSync(dir)) throw new InputError(`${dir}: no such folder to push`);
  const all = walk(dir);
  if (!only) return all;
  const picked = all.filter((f) => only.some((o) => f === o || f.startsWith(`${o}/`)));
  const missing = only.filter((o) => !all.some((f) => f === o || f.startsWith(`${o}/`)));
  if (missing.length) throw new InputError(`nothing to push at ${missing.map((m) => join(dir, m)).join(', ')}`);
  return picked;
}

async function remoteManifest(store: ArtifactStore): Promise<Manifest | null> {
  const bytes = await store.readIfExists(MANIFEST);
  if (!bytes) return null;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InputError(`${store.where}/${MANIFEST}: not valid JSON`);
  }
  const parsed = Manifest.safeParse(value);
  if (!parsed.success) throw new InputError(`${store.where}/${MANIFEST}: not a gatebook manifest (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`);
  return parsed.data;
}

/** Upload the files of `dir` (all, or those under `only`) that the store's manifest does not list with the same sha256. */
export async function pushArtifacts(dir: string, store: ArtifactStore, o: { only?: string[]; log?: (line: string) => void; signal?: AbortSignal } = {}): Promise<SyncReport> {
  const files = filesUnder(dir, o.only);
  const manifest = (await remoteManifest(store)) ?? { format: 'gatebook-artifacts', version: 1, files: {} };
  const report: SyncReport = { sent: [], skipped: [], bytes: 0 };
  for (const f of files) {
    const path = join(dir, f);
    const sha256 = sha256FileSync(path);
    const size = statSync(path).size;
    if (manifest.files[f]?.sha256 === sha256 && (await store.stat(f))?.size === size) {
      report.skipped.push(f);
      continue;
    }
    o.log?.(`  ↑ ${f} (${size} bytes)`);
    await store.upload(f, path, { signal: o.signal, onPart: (loaded, total) => total > 8 * 1024 * 1024 && o.log?.(`    ${f}: ${Math.round((100 * loaded) / total)} %`) });
    manifest.files[f] = { sha256, size };
    report.sent.push(f);
    report.bytes += size;
  }
  await store.write(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  return report;
}

/** Download what the store's manifest lists into `dir`, each file checked against its sha256 before it replaces anything. */
export async function pullArtifacts(store: ArtifactStore, dir: string, o: { log?: (line: string) => void } = {}): Promise<SyncReport> {
  const manifest = await remoteManifest(store);
  if (!manifest) throw new InputError(`${store.where}: no ${MANIFEST} there — nothing was pushed to this address (gatebook artifacts push)`);
  const report: SyncReport = { sent: [], skipped: [], bytes: 0 };
  for (const [f, want] of Object.entries(manifest.files)) {
    const target = resolve(dir, f);
    if (!target.startsWith(resolve(dir) + '/')) throw new InputError(`${store.where}/${MANIFEST} lists ${f}, outside the folder it is pulled into: refused`);
    if (existsSync(target) && sha256FileSync(target) === want.sha256) {
      report.skipped.push(f);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.pull-${process.pid}.tmp`;
    try {
      await store.download(f, tmp);
      const got = sha256FileSync(tmp);
      if (got !== want.sha256) throw new CheckFailedError(`${store.where}/${f}: its sha256 ${got.slice(0, 12)}… differs from the manifest's ${want.sha256.slice(0, 12)}…: the object is corrupted or was replaced; it was not used`);
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
    o.log?.(`  ↓ ${f} (${want.size} bytes)`);
    report.sent.push(f);
    report.bytes += want.size;
  }
  return report;
}
