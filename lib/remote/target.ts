import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { parse as parseSshConfig } from 'ssh-config';
import { InputError } from '../util/errors';

/** Where and as whom to connect, after the command line and `~/.ssh/config` are read. */
export interface SshTarget {
  /** What the user wrote (`gpu-box`, `root@1.2.3.4:22022`): runs are listed under it. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** The private key's text, when a key file is used (the agent may be used besides). */
  privateKey?: Buffer;
  keyFile?: string;
  passphrase?: string;
  agent?: string;
}

export interface TargetFlags {
  port?: number;
  user?: string;
  identity?: string;
  sshConfig?: string;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** `[user@]host[:port]` or a `~/.ssh/config` alias; flags win over the config, the config over defaults. */
export function resolveTarget(spec: string, f: TargetFlags = {}): SshTarget {
  const m = /^(?:([^@\s]+)@)?([^@:\s]+|\[[^\]]+\])(?::(\d+))?$/.exec(spec);
  if (!m) throw new InputError(`invalid host: ${spec} (expected host, user@host, user@host:port or a ~/.ssh/config alias)`);
  const alias = m[2].replace(/^\[|\]$/g, '');
  const config = sshConfigFor(alias, f.sshConfig);
  const port = f.port ?? (m[3] ? Number(m[3]) : config.Port ? Number(config.Port) : 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError(`invalid port for ${spec}: ${port}`);
  const target: SshTarget = {
    label: spec,
    host: String(config.HostName ?? alias),
    port,
    user: f.user ?? m[1] ?? (config.User as string | undefined) ?? userInfo().username,
    agent: process.env.SSH_AUTH_SOCK || undefined,
    passphrase: process.env.GATEBOOK_SSH_PASSPHRASE || undefined,
  };
  const configured = ([] as string[]).concat(config.IdentityFile ?? []).map(expandHome);
  const keyFile = f.identity ? expandHome(f.identity) : [...configured, ...DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k))].find(existsSync);
  if (f.identity && !existsSync(keyFile!)) throw new InputError(`--identity ${f.identity}: no such key file`);
  if (keyFile) Object.assign(target, { keyFile, privateKey: readKey(keyFile, target.passphrase) });
  if (!target.privateKey && !target.agent) {
    throw new InputError(`no way to log in to ${spec}: no key file (--identity, IdentityFile in ~/.ssh/config, or ~/.ssh/${DEFAULT_KEYS.join('|')}) and no ssh-agent (SSH_AUTH_SOCK)`);
  }
  return target;
}

function expandHome(path: string): string {
  return path.replace(/^~(?=\/|$)/, homedir());
}

function sshConfigFor(alias: string, file?: string): Record<string, string | string[]> {
  const path = file || process.env.GATEBOOK_SSH_CONFIG || join(homedir(), '.ssh', 'config');
  if (!existsSync(path)) {
    if (file) throw new InputError(`--ssh-config ${file}: no such file`);
    return {};
  }
  return parseSshConfig(readFileSync(path, 'utf8')).compute(alias);
}

/** The key file's text, checked now: an encrypted key without its passphrase is a clear error, never a prompt. */
function readKey(path: string, passphrase?: string): Buffer {
  const text = readFileSync(path);
  const parsed = utils.parseKey(text, passphrase);
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      throw new InputError(`${path} is encrypted${passphrase ? ' and the passphrase in GATEBOOK_SSH_PASSPHRASE does not open it' : ''}: set GATEBOOK_SSH_PASSPHRASE, or load the key into ssh-agent (ssh-add ${path})`);
    }
    throw new InputError(`${path}: not a private key ssh2 can read (${parsed.message})`);
  }
  return text;
}
