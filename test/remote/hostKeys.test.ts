import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint } from '../../lib/remote';
import { recordHostKey } from '../../lib/remote/hostKeys';
import { tempDir } from '../helpers/cli';

/** known_hosts as OpenSSH writes and reads it, with OpenSSH's own ssh-keygen as the independent side. */
const dir = tempDir('known-hosts-');
const keygen = (name: string) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const [type, b64] = readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ');
  return { line: `${type} ${b64}`, blob: Buffer.from(b64, 'base64'), pub: join(dir, `${name}.pub`) };
};
const a = keygen('a');
const b = keygen('b');

function knownHosts(text: string): string {
  const path = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return path;
}

describe('host keys against known_hosts', () => {
  it('the fingerprint is the one ssh-keygen -l prints', () => {
    expect(execFileSync('ssh-keygen', ['-lf', a.pub], { encoding: 'utf8' })).toContain(fingerprint(a.blob));
  });

  it('known, unknown and changed, by plain name, [host]:port, comma lists and wildcards', () => {
    const file = knownHosts(`# comment\nbox.example,10.0.0.5 ${a.line}\n[10.0.0.5]:2222 ${b.line}\n*.pods.example,!evil.pods.example ${a.line}\n`);
    expect(checkHostKey(file, '10.0.0.5', 22, a.blob)).toBe('known');
    expect(checkHostKey(file, 'box.example', 22, b.blob)).toBe('changed');
    expect(checkHostKey(file, '10.0.0.5', 2222, b.blob)).toBe('known');
    expect(checkHostKey(file, '10.0.0.5', 2222, a.blob)).toBe('changed');
    expect(checkHostKey(file, 'gpu1.pods.example', 22, a.blob)).toBe('known');
    expect(checkHostKey(file, 'evil.pods.example', 22, a.blob)).toBe('unknown');
    expect(checkHostKey(file, 'other.example', 22, a.blob)).toBe('unknown');
    expect(checkHostKey(join(dir, 'missing'), 'box.example', 22, a.blob)).toBe('unknown');
  });

  it('hashed names (ssh-keygen -H) match; @revoked keys are refused', () => {
    const file = knownHosts(`box.example ${a.line}\n[10.0.0.7]:2200 ${b.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).not.toContain('box.example');
    expect(checkHostKey(file, 'box.example', 22, a.blob)).toBe('known');
    expect(checkHostKey(file, '10.0.0.7', 2200, b.blob)).toBe('known');
    expect(checkHostKey(file, '10.0.0.7', 2200, a.blob)).toBe('changed');
    const revoked = knownHosts(`@revoked * ${a.line}\nbox.example ${a.line}\n`);
    expect(checkHostKey(revoked, 'box.example', 22, a.blob)).toBe('revoked');
  });

  it('a key recorded by --accept-new-host-key is one OpenSSH finds for that host', () => {
    const file = knownHosts('');
    recordHostKey(file, '127.0.0.1', 2022, a.blob);
    expect(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2022', '-f', file], { encoding: 'utf8' })).toContain(a.line.split(' ')[1]);
    expect(checkHostKey(file, '127.0.0.1', 2022, a.blob)).toBe('known');
  });
});
