import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { verifyLedger } from '../gates/ledger';
import { pullArtifacts, storeFor, type StoreOptions } from '../storage';
import { writeFileAtomic } from '../util/atomic';
import { CheckFailedError, InputError } from '../util/errors';
import { sha256FileSync } from '../util/hash';

/**
 * The model registry, `models/registry.json`: one entry per promotion — which model, from
 * which experiment, justified by which ledger record, with its metrics and the sha256 of
 * everything it stands on. Written whole and atomically; `verifyRegistry` checks every
 * entry's files and the record behind it.
 */
export const REGISTRY = join('models', 'registry.json');
export const PROMOTED = join('models', 'promoted');

const Sha = z.string().regex(/^[0-9a-f]{64}$/);

export const RegistryEntry = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  target: z.string(),
  /** champion: the model in use for its target; retired: a former champion, kept with its history */
  status: z.enum(['champion', 'retired']),
  experiment: z.string(),
  /** the promoted copy's files (relative to the project) and their sha256 */
  files: z.array(z.object({ path: z.string(), sha256: Sha })),
  model_sha256: Sha,
  calibrator_sha256: Sha,
  family: z.string(),
  /** the ledger and the record of the final gate that justified the promotion, and the promotion record */
  ledger: z.string(),
  justified_by: Sha,
  promotion_record: Sha.nullable(),
  metrics: z.record(z.number().nullable()),
  data_sha256: Sha.nullable(),
  config_sha256: Sha,
  code_sha256: Sha,
  git_commit: z.string().nullable(),
  promoted_at: z.string(),
  promoted_by: z.string(),
  challenger: z.object({
    champion: z.string().nullable(),
    champion_accuracy: z.number().nullable(),
    challenger_accuracy: z.number().nullable(),
    mcnemar_p: z.number().nullable(),
    windows: z.number().int().nullable(),
    forced: z.string().nullable(),
  }).nullable(),
  retired_at: z.string().optional(),
  retired_by: z.string().optional(),
  /** a model of one symbol (workflow per-symbol): it serves only that symbol */
  symbol: z.string().optional(),
  /** promoted by the k-of-n rule over several symbols: the rule and which symbols passed and failed */
  symbols: z.object({ rule: z.string(), passed: z.array(z.string()), failed: z.array(z.string()) }).strict().optional(),
  /** where the promoted folder was pushed too (`exp promote --to`): a store address, e.g. s3://bucket/models/<name>/v<N> */
  stored_at: z.string().optional(),
}).strict();
export type RegistryEntry = z.infer<typeof RegistryEntry>;

export const Registry = z.object({ format: z.literal('gatebook-registry'), version: z.literal(1), entries: z.array(RegistryEntry) }).strict();
export type Registry = z.infer<typeof Registry>;

/** The registry at `path` (an empty one when there is none); a malformed file is an error naming it. */
export function readRegistry(path = REGISTRY): Registry {
  if (!existsSync(path)) return { format: 'gatebook-registry', version: 1, entries: [] };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = Registry.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new InputError(`${path}: not a gatebook registry: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}

export function writeRegistry(registry: Registry, path = REGISTRY): void {
  writeFileAtomic(path, JSON.stringify(Registry.parse(registry), null, 2) + '\n');
}

/** The current champion of a target, if any. */
export function championOf(registry: Registry, target: string): RegistryEntry | undefined {
  return registry.entries.find((e) => e.target === target && e.status === 'champion');
}

export interface RegistryProblem {
  entry: string;
  file: string;
  problem: string;
}

/**
 * Every entry's files present with their sha256 — here, or for a model pushed with `exp
 * promote --to`, in its store (fetched into a temporary folder, each file checked against
 * the store's manifest and then against the registry) — and the records that justified it
 * present in a ledger whose chain verifies (an archived experiment's ledger counts: it is
 * looked for in experiments-archive/ too). Returns what is wrong, file by file (empty: it verifies).
 */
export async function verifyRegistry(path = REGISTRY, storeOptions: StoreOptions = {}): Promise<RegistryProblem[]> {
  if (!existsSync(path)) throw new InputError(`${path}: no registry here (\`gatebook exp promote\` makes one)`);
  const registry = readRegistry(path);
  const problems: RegistryProblem[] = [];
  for (const e of registry.entries) {
    const entry = `${e.name} v${e.version}`;
    const local = e.files.every((f) => existsSync(f.path));
    if (!local && e.stored_at) problems.push(...(await storedProblems(e, entry, storeOptions)));
    for (const f of local || !e.stored_at ? e.files : []) {
      if (!existsSync(f.path)) problems.push({ entry, file: f.path, problem: 'missing' });
      else if (sha256FileSync(f.path) !== f.sha256) problems.push({ entry, file: f.path, problem: `sha256 differs from the registry's ${f.sha256.slice(0, 12)}…: the file changed after promotion` });
    }
    const ledger = [e.ledger, e.ledger.replace(/^experiments\//, 'experiments-archive/')].find(existsSync);
    if (!ledger) {
      problems.push({ entry, file: e.ledger, problem: 'the ledger that justified it is missing' });
      continue;
    }
    const state = verifyLedger(ledger);
    if (state.firstBad) problems.push({ entry, file: ledger, problem: `the ledger does not verify: line ${state.firstBad.line}: ${state.firstBad.reason}` });
    for (const [what, hash] of [['justifying record', e.justified_by], ['promotion record', e.promotion_record]] as const) {
      if (hash && !state.records.some((r) => r.hash === hash)) problems.push({ entry, file: ledger, problem: `its ${what} ${hash.slice(0, 12)}… is not in the ledger's intact chain` });
    }
  }
  return problems;
}

/** A model that lives in its store: fetched (each file checked against the store's manifest), then held against the registry. */
async function storedProblems(e: RegistryEntry, entry: string, storeOptions: StoreOptions): Promise<RegistryProblem[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'gatebook-verify-'));
  try {
    await pullArtifacts(storeFor(e.stored_at!, storeOptions), tmp);
    return e.files.flatMap((f) => {
      const got = join(tmp, basename(f.path));
      if (!existsSync(got)) return [{ entry, file: `${e.stored_at}/${basename(f.path)}`, problem: 'missing in the store' }];
      return sha256FileSync(got) === f.sha256 ? [] : [{ entry, file: `${e.stored_at}/${basename(f.path)}`, problem: `sha256 differs from the registry's ${f.sha256.slice(0, 12)}…` }];
    });
  } catch (error) {
    return [{ entry, file: e.stored_at!, problem: (error as Error).message }];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Where an entry's model files are: the promoted folder when it holds them (each checked against
 * the registry's sha256 — a changed file is refused, never replaced); otherwise, for a model
 * pushed to a store, a copy pulled into `.gatebook/models/<name>/v<N>/` and checked the same way.
 */
export async function entryModelDir(e: RegistryEntry, storeOptions?: StoreOptions): Promise<string> {
  if (e.files.every((f) => existsSync(f.path)) || !e.stored_at) {
    assertEntryIntact(e);
    return dirname(e.files[0].path);
  }
  const cache = join('.gatebook', 'models', e.name, `v${e.version}`);
  await pullArtifacts(storeFor(e.stored_at, storeOptions), cache);
  for (const f of e.files) {
    const got = join(cache, basename(f.path));
    if (!existsSync(got) || sha256FileSync(got) !== f.sha256) {
      throw new CheckFailedError(`${e.stored_at}/${basename(f.path)} (${e.name} v${e.version}) differs from the sha256 in the registry: it is not used; run \`gatebook registry verify\``);
    }
  }
  return cache;
}

/** Refuse a model whose files do not match its registry entry (before anything loads it). */
export function assertEntryIntact(e: RegistryEntry): void {
  for (const f of e.files) {
    if (!existsSync(f.path)) throw new CheckFailedError(`${f.path} (${e.name} v${e.version}) is missing: the registry names it; run \`gatebook registry verify\``);
    if (sha256FileSync(f.path) !== f.sha256) throw new CheckFailedError(`${f.path} (${e.name} v${e.version}) differs from the sha256 in the registry: it changed after promotion and is not used; run \`gatebook registry verify\``);
  }
}
