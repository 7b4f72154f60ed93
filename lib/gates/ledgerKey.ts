import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors';

/**
 * The ledger key: records are sealed with an HMAC under a key kept outside the artifacts,
 * so a ledger rewritten without it — every hash recomputed from genesis — does not verify.
 * From GATEBOOK_LEDGER_KEY (hex, at least 32 bytes), else `<config>/ledger.key`, created on
 * first use (mode 600). `<config>` is GATEBOOK_CONFIG_DIR, else ~/.config/gatebook.
 */
export function configDir(): string {
  return process.env.GATEBOOK_CONFIG_DIR || join(homedir(), '.config', 'gatebook');
}

let cached: { source: string; key: Buffer } | null = null;

export function ledgerKey(): Buffer {
  const fromEnv = process.env.GATEBOOK_LEDGER_KEY;
  const source = fromEnv ? 'env' : join(configDir(), 'ledger.key');
  if (cached?.source === source) return cached.key;
  let key: Buffer;
  if (fromEnv) {
    if (!/^[0-9a-fA-F]{64,}$/.test(fromEnv)) throw new InputError('GATEBOOK_LEDGER_KEY must be at least 64 hex digits (32 bytes): e.g. `openssl rand -hex 32`');
    key = Buffer.from(fromEnv, 'hex');
  } else if (existsSync(source)) {
    key = Buffer.from(readFileSync(source, 'utf8').trim(), 'hex');
    if (key.length < 32) throw new InputError(`${source}: not a ledger key (expected 64 hex digits); move it aside to make a new one — ledgers sealed with the old key will no longer verify`);
  } else {
    mkdirSync(configDir(), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(source, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(source, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process made it first: use theirs
    }
    key = Buffer.from(readFileSync(source, 'utf8').trim(), 'hex');
  }
  cached = { source, key };
  return key;
}

/** HMAC-SHA256 of a text under the ledger key, hex. */
export function keyedMac(text: string, key = ledgerKey()): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
