import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import { sha256 } from '../util/hash';
import { configDir, keyedMac } from './ledgerKey';

/**
 * A ledger's anchor: how many records it holds and the hash of the last, keyed, kept where
 * the ledger cannot rewrite it. Every append moves the machine's own anchor
 * (`<config>/anchors/<sha256 of the ledger's path>.json`); `gatebook gates anchor --out
 * ledger.anchor` exports one to commit (or to paste in CI output), and `gates verify
 * --anchor <file>` holds the ledger against it. Lines cut off the end of a ledger — which
 * leave a perfectly valid chain — show as a ledger shorter than its anchor.
 */
export const Anchor = z.object({
  ledger: z.string(),
  records: z.number().int().nonnegative(),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  updated: z.string(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Anchor = z.infer<typeof Anchor>;

const anchorText = (a: Pick<Anchor, 'ledger' | 'records' | 'head'>) => `gatebook-anchor\n${a.ledger}\n${a.records}\n${a.head}`;

/** The ledger's absolute path (through symlinks where it exists). */
function canonical(ledger: string): string {
  const abs = resolve(ledger);
  try {
    return join(realpathSync(dirname(abs)), abs.slice(dirname(abs).length + 1));
  } catch {
    return abs;
  }
}

/** Where this machine keeps the anchor of a ledger. */
export function anchorPathOf(ledger: string): string {
  return join(configDir(), 'anchors', `${sha256(canonical(ledger))}.json`);
}

export function makeAnchor(ledger: string, records: number, head: string): Anchor {
  const base = { ledger: canonical(ledger), records, head };
  return { ...base, updated: new Date().toISOString(), mac: keyedMac(anchorText(base)) };
}

/** The anchor in `file` (the machine's own by default), or null when there is none; a forged or foreign anchor is an error. */
export function readAnchor(ledger: string, file = anchorPathOf(ledger)): Anchor | null {
  if (!existsSync(file)) return null;
  const parsed = Anchor.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new InputError(`${file}: not a ledger anchor (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`);
  if (parsed.data.mac !== keyedMac(anchorText(parsed.data))) throw new InputError(`${file}: the anchor's mac does not match: it was edited, or written with another ledger key`);
  return parsed.data;
}

export function writeAnchor(ledger: string, records: number, head: string, file = anchorPathOf(ledger)): Anchor {
  const anchor = makeAnchor(ledger, records, head);
  writeFileAtomic(file, JSON.stringify(anchor, null, 2) + '\n');
  return anchor;
}

/** Why `hashes` (the ledger's record hashes, in order) fall short of the anchor, or null when they reach it. */
export function anchorProblem(hashes: string[], anchor: Anchor): string | null {
  if (hashes.length < anchor.records) {
    return `the ledger holds ${hashes.length} intact record(s) but its anchor (${anchor.updated}) says ${anchor.records}, ending at ${anchor.head.slice(0, 12)}…: records were cut off or rewritten`;
  }
  if (anchor.records > 0 && hashes[anchor.records - 1] !== anchor.head) {
    return `record ${anchor.records} has hash ${hashes[anchor.records - 1].slice(0, 12)}… but the anchor (${anchor.updated}) says ${anchor.head.slice(0, 12)}…: the ledger was rewritten`;
  }
  return null;
}
