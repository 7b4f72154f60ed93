import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './cli';
import { signalChild } from '../../lib/util/signalChild';

export interface Sshd {
  port: number;
  dir: string;
  /** the server's host public key line (`ssh-ed25519 AAAA…`) */
  hostKey: string;
  /** a client key the server accepts, unencrypted, and one encrypted with `passphrase` */
  clientKey: string;
  encryptedKey: string;
  passphrase: string;
  /** known_hosts naming this server's key / another key for the same address */
  knownHosts: string;
  wrongKnownHosts: string;
  /** an ssh config with `Host localhost` → 127.0.0.1:port with the client key */
  sshConfig: string;
  /** pids of the per-connection sshd children (killing one drops that connection) */
  sessionPids(): number[];
  stop(): void;
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

const keygen = (path: string, passphrase = '') => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'gatebook-test', '-f', path]);

async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.end(); resolve(true); }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('sshd did not listen');
}

/**
 * A real OpenSSH server (Debian openssh-server) on 127.0.0.1 with its own config, host key
 * and authorized key, started and stopped by the test; the commands it runs see `env`
 * (e.g. the box's own GATEBOOK_CONFIG_DIR, so its ledger key is not this side's).
 */
export async function startSshd(env: Record<string, string> = {}): Promise<Sshd> {
  const dir = tempDir('sshd-');
  const port = await freePort();
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'client'));
  const passphrase = `pass-${Math.random().toString(36).slice(2)}-phrase`;
  keygen(join(dir, 'client_encrypted'), passphrase);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub'), 'utf8') + readFileSync(join(dir, 'client_encrypted.pub'), 'utf8'), { mode: 0o600 });
  keygen(join(dir, 'other_host'));
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const otherKey = readFileSync(join(dir, 'other_host.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  writeFileSync(join(dir, 'wrong_known_hosts'), `[127.0.0.1]:${port} ${otherKey}\n`);
  writeFileSync(join(dir, 'ssh_config'), `Host localhost\n  HostName 127.0.0.1\n  Port ${port}\n  IdentityFile ${join(dir, 'client')}\n`);
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_ed25519')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'UsePAM no', 'StrictModes no', 'PermitRootLogin prohibit-password',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'Subsystem sftp internal-sftp', 'LogLevel FATAL',
    ...Object.entries(env).map(([k, v]) => `SetEnv ${k}=${v}`), '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'inherit'] });
  await listening(port, child);
  return {
    port, dir, hostKey, passphrase,
    clientKey: join(dir, 'client'), encryptedKey: join(dir, 'client_encrypted'),
    knownHosts: join(dir, 'known_hosts'), wrongKnownHosts: join(dir, 'wrong_known_hosts'), sshConfig: join(dir, 'ssh_config'),
    sessionPids: () => {
      try {
        return execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    stop: () => signalChild(child),
  };
}
