import { z } from 'zod';
import { canonicalJson, sha256 } from '../util/hash';
import { keyedMac, ledgerKey } from './ledgerKey';

export const LEDGER_SCHEMA_VERSION = 1;
export const GENESIS = '0'.repeat(64);

const Sha = z.string().regex(/^[0-9a-f]{64}$/);

export const CheckResult = z.object({
  metric: z.string(),
  op: z.string(),
  /** The threshold as judged: a number, a [low, high] pair, or another gate's metric plus an offset. */
  threshold: z.union([z.number(), z.tuple([z.number(), z.number()]), z.null()]),
  /** Where a threshold came from: "config gates.data.min_rows", or "majority.val_accuracy + 0.02". */
  source: z.string(),
  value: z.number().nullable(),
  pass: z.boolean(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const Provenance = z.object({
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  code_sha256: Sha,
  config_sha256: Sha,
  data_sha256: Sha.nullable(),
  seed: z.number().int(),
  backend: z.string(),
  device: z.string(),
  versions: z.record(z.string()),
  host: z.string(),
  /** Set on a record brought home by `gatebook remote fetch`: where it was made and its hash in the remote ledger. */
  remote: z.object({ host: z.string(), run: z.string(), record: Sha, ledger: z.string() }).optional(),
  /** Set on a record merged into a sweep's ledger by `gatebook sweep collect`: its task, the task's overrides, where it ran, its hash in the task's ledger. */
  sweep: z.object({ name: z.string(), task: z.string(), index: z.number().int(), overrides: z.record(z.unknown()), job: z.string().nullable(), host: z.string().nullable(), record: Sha }).optional(),
});
export type Provenance = z.infer<typeof Provenance>;

/** One line of artifacts/gates.jsonl. */
export const GateRecord = z.object({
  schema: z.literal(LEDGER_SCHEMA_VERSION),
  gate: z.string(),
  phase: z.string(),
  run: z.string(),
  experiment: z.string(),
  /** Set on a gate's record for one symbol of a multi-symbol dataset (the gate's own record, without it, judges them together: k of n). */
  symbol: z.string().optional(),
  status: z.enum(['pass', 'fail', 'error']),
  metrics: z.record(z.number().nullable()),
  checks: z.array(CheckResult),
  artifacts: z.array(z.object({ path: z.string(), sha256: Sha })),
  provenance: Provenance,
  /** sha256 of (code, config, data): a passed gate with the same inputs need not run again. */
  inputs_sha256: Sha,
  /** The pipeline's decision after this gate, when it made one ("baseline passed → finalization"). */
  decision: z.string().nullable(),
  error: z.string().nullable(),
  started: z.string(),
  finished: z.string(),
  duration_s: z.number(),
  prev: Sha,
  hash: Sha,
  /** HMAC-SHA256 of `hash` under the ledger key (ledgerKey.ts): only a holder of the key can write a record that verifies. */
  mac: Sha,
});
export type GateRecord = z.infer<typeof GateRecord>;
export type UnsealedRecord = Omit<GateRecord, 'prev' | 'hash' | 'mac'>;

/** The hash of a record: sha256 of its canonical JSON without the `hash` and `mac` fields. */
export function hashRecord(record: Omit<GateRecord, 'hash' | 'mac'>): string {
  return sha256(canonicalJson(record));
}

/** Chain a record to its predecessor, seal it with its hash, and key the hash. */
export function sealRecord(record: UnsealedRecord, prev: string, key = ledgerKey()): GateRecord {
  const chained = { ...record, prev };
  const hash = hashRecord(chained);
  return { ...chained, hash, mac: keyedMac(hash, key) };
}
