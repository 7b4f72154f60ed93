import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CheckFailedError } from '../util/errors';

/**
 * The remote's host key, checked against an OpenSSH `known_hosts` file (plain, `[host]:port`
 * and hashed `|1|salt|hmac` names, comma lists, `*`/`?` wildcards, `!` negations,
 * `@revoked`). Unknown: refused with its fingerprint and the flag that accepts it once
 * (`--accept-new-host-key`, which records it); changed or revoked: always refused.
 */
export function knownHostsPath(file?: string): string {
  return file || process.env.GATEBOOK_KNOWN_HOSTS || join(homedir(), '.ssh', 'known_hosts');
}

/** How OpenSSH writes a host in known_hosts: `host` on port 22, `[host]:port` elsewhere. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key's type from its wire blob (its first string), e.g. `ssh-ed25519`. */
export function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the blob's sha256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

interface Entry { marker: string | null; names: string; type: string; blob: Buffer }

function entries(file: string): Entry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((raw) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return [];
    const parts = line.split(/\s+/);
    const marker = parts[0].startsWith('@') ? parts.shift()! : null;
    if (parts.length < 3) return [];
    return [{ marker, names: parts[0], type: parts[1], blob: Buffer.from(parts[2], 'base64') }];
  });
}

const glob = (pattern: string, text: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(text);

function namesMatch(names: string, token: string): boolean {
  if (names.startsWith('|1|')) {
    const [, , salt, hash] = names.split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  let matched = false;
  for (const name of names.split(',')) {
    if (name.startsWith('!') && glob(name.slice(1), token)) return false;
    if (!name.startsWith('!') && glob(name, token)) matched = true;
  }
  return matched;
}

export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

/** What the known_hosts file says of this key for this host. */
export function checkHostKey(file: string, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const all = entries(file);
  if (all.some((e) => e.marker === '@revoked' && e.blob.equals(blob))) return 'revoked';
  const mine = all.filter((e) => e.marker === null && namesMatch(e.names, hostToken(host, port)));
  if (mine.some((e) => e.blob.equals(blob))) return 'known';
  return mine.length ? 'changed' : 'unknown';
}

/** Record a host's key (plain name, as `ssh -o StrictHostKeyChecking=accept-new` would). */
export function recordHostKey(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${hostToken(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/** The host-key check ssh2 calls: true to go on; otherwise it stores why, for the error after the refused handshake. */
export function hostKeyPolicy(o: { file: string; host: string; port: number; acceptNew: boolean }) {
  const policy = {
    refusal: null as string | null,
    verify(blob: Buffer): boolean {
      const verdict = checkHostKey(o.file, o.host, o.port, blob);
      const what = `${hostToken(o.host, o.port)} presents ${keyType(blob)} key ${fingerprint(blob)}`;
      if (verdict === 'known') return true;
      if (verdict === 'unknown' && o.acceptNew) {
        recordHostKey(o.file, o.host, o.port, blob);
        process.stderr.write(`accepted and recorded in ${o.file}: ${what}\n`);
        return true;
      }
      policy.refusal = verdict === 'unknown'
        ? `${what}, which is not in ${o.file}: refused. Check the fingerprint with the provider (or \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the box), then run again with --accept-new-host-key to accept it once and record it`
        : verdict === 'revoked'
          ? `${what}, which ${o.file} marks @revoked: refused`
          : `${what}, but ${o.file} records a different key for this host: REFUSED — the host key changed (a new box behind the same address, or someone in between). If the box was really replaced, remove its old line with \`ssh-keygen -R '${hostToken(o.host, o.port)}' -f ${o.file}\` and connect again`;
      return false;
    },
    error(): CheckFailedError | null {
      return policy.refusal ? new CheckFailedError(policy.refusal) : null;
    },
  };
  return policy;
}
