import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFiles } from '../../lib/remote';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { startSshd, type Sshd } from '../helpers/sshd';
import { tinyConfig, trainingConfig } from '../helpers/tiny';

/**
 * `gatebook remote` against a real OpenSSH server on 127.0.0.1 (started and stopped here):
 * the box is a folder (its node_modules provisioned, as a GPU image's would be; its own
 * ledger key through sshd's SetEnv), this side a copy of the checkout with its own ledger.
 * Host keys unknown / changed / accepted; a run streamed, fetched and verified; detach,
 * attach, stop; a dropped connection mid-run; a tampered box ledger refused at fetch; the
 * stop command only after a verified fetch; no passphrase in any output or file.
 */
let sshd: Sshd;
let home: string;
let box: string;
let env: NodeJS.ProcessEnv;
const outputs: string[] = [];

function gb(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const r = gatebook(args, home, { ...env, ...extra });
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** A `gatebook` child whose output can be waited on, for the runs that are interrupted or cut. */
function gbChild(args: string[]) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { cwd: home, env: { ...env, CI: 'true' } });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  child.stderr.on('data', (d) => { text += d; });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => { outputs.push(text); resolve(code ?? -1); }));
  const waitFor = async (pattern: RegExp, seconds = 120) => {
    for (let i = 0; i < seconds * 10 && !pattern.test(text); i++) await new Promise((r) => setTimeout(r, 100));
    if (!pattern.test(text)) throw new Error(`no ${pattern} in:\n${text}`);
  };
  return { child, exited, waitFor, output: () => text };
}

const ledgerLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const status = () => JSON.parse(gb(['remote', 'status', '--json']).stdout) as { id: string; state: string; exit: { code: number | null } | null }[];
const BOX_LEDGER = () => join(box, 'artifacts', 'gates.jsonl');
const HOME_LEDGER = () => join(home, 'artifacts', 'gates.jsonl');
const remoteRunArgs = (config: string, ...more: string[]) => ['remote', 'run', 'localhost', '--workdir', box, '--install', 'never', ...more, '--', 'pipeline', '--to', 'baseline', '--config', config];

async function until(what: string, test: () => boolean, seconds = 120): Promise<void> {
  for (let i = 0; i < seconds * 5; i++) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  const boxConfig = tempDir('box-config-');
  sshd = await startSshd({ GATEBOOK_CONFIG_DIR: boxConfig });
  home = tempDir('home-');
  for (const f of projectFiles(ROOT)) {
    mkdirSync(join(home, f, '..'), { recursive: true });
    copyFileSync(join(ROOT, f), join(home, f));
  }
  box = join(tempDir('box-'), 'work');
  mkdirSync(box, { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(box, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'));
  const knownHosts = join(home, 'known_hosts');
  writeFileSync(knownHosts, '');
  env = { ...process.env, GATEBOOK_SSH_CONFIG: sshd.sshConfig, GATEBOOK_KNOWN_HOSTS: knownHosts, GATEBOOK_CONFIG_DIR: tempDir('home-config-'), SSH_AUTH_SOCK: '' };
}, 120_000);

afterAll(() => {
  sshd?.stop();
});

describe('gatebook remote (a real sshd on 127.0.0.1)', () => {
  it('an unknown host key is refused with its fingerprint; a changed one is refused even with --accept-new-host-key', () => {
    const fp = execFileSync('ssh-keygen', ['-lf', join(sshd.dir, 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1];
    const unknown = gb(remoteRunArgs('tiny.yaml'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(fp);
    expect(unknown.stderr).toContain('--accept-new-host-key');
    const wrong = readFileSync(sshd.wrongKnownHosts, 'utf8');
    const changed = gb(remoteRunArgs('tiny.yaml', '--accept-new-host-key'), { GATEBOOK_KNOWN_HOSTS: sshd.wrongKnownHosts });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/host key changed/i);
    expect(readFileSync(sshd.wrongKnownHosts, 'utf8')).toBe(wrong);
    expect(existsSync(join(box, '.gatebook'))).toBe(false); // nothing was sent
  });

  it('runs a pipeline on the box, streams it, and fetch brings the records and artifacts home, verified, naming the host', () => {
    tinyConfig(home);
    const run = gb(remoteRunArgs('tiny.yaml', '--accept-new-host-key'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/baseline\s+pass/);
    expect(run.stderr).toMatch(/finished on localhost: exit 0/);
    expect(readFileSync(env.GATEBOOK_KNOWN_HOSTS!, 'utf8')).toContain(sshd.hostKey.split(' ')[1]);
    const synced = Object.keys(JSON.parse(readFileSync(join(box, '.gatebook', 'sync.json'), 'utf8')).files as Record<string, string>);
    expect(synced).toContain('dist/cli/main.js');
    expect(synced.filter((f) => /^(node_modules|artifacts|\.git)\//.test(f))).toEqual([]);

    const fetch = gb(['remote', 'fetch']);
    expect(fetch.code, fetch.stderr).toBe(0);
    const verify = gb(['gates', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const there = ledgerLines(BOX_LEDGER());
    const here = ledgerLines(HOME_LEDGER());
    expect(here.map((r) => r.provenance.remote.record)).toEqual(there.map((r) => r.hash));
    const baseline = here.find((r) => r.gate === 'baseline');
    expect(baseline.status).toBe('pass');
    expect(baseline.provenance.remote.host).toBe('localhost');
    for (const a of baseline.artifacts) {
      expect(execFileSync('sha256sum', [join(home, a.path)], { encoding: 'utf8' }).split(' ')[0]).toBe(a.sha256);
    }
    expect(gb(['remote', 'fetch']).stderr).toMatch(/merged 0 record\(s\) \(6 already here\)/);
    const again = gb(remoteRunArgs('tiny.yaml'));
    expect(again.stderr).toMatch(/sync: 0 file\(s\) to send/);
    // the box's node_modules is a link here: npm ci would empty what it points to, so it is refused
    const install = gb(['remote', 'run', 'localhost', '--workdir', box, '--install', 'always', '--', 'env']);
    expect(install.code).toBe(1);
    expect(install.stderr).toMatch(/node_modules is a link .* not run/);
    expect(existsSync(join(ROOT, 'node_modules', 'commander', 'package.json'))).toBe(true);
  }, 180_000);

  it('Ctrl-C detaches and the run goes on; attach resumes; stop sends SIGINT and says it took effect', async () => {
    trainingConfig(home, 60);
    const first = gbChild(remoteRunArgs('training.yaml'));
    await first.waitFor(/epoch \d+/);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/detached from run/);
    const id = /started run (\S+)/.exec(first.output())![1];
    expect(status().find((r) => r.id === id)?.state).toBe('running');
    const seen = first.output().length;
    const attach = gbChild(['remote', 'attach', id]);
    await attach.waitFor(/epoch \d+/);
    attach.child.kill('SIGINT');
    expect(await attach.exited).toBe(0);
    expect(seen).toBeGreaterThan(0);
    const stop = gb(['remote', 'stop', id, '--grace', '60']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/SIGINT took effect: run \S+ ended \(exit 130\)/);
    const row = status().find((r) => r.id === id)!;
    expect(row.state).toBe('finished');
    expect(row.exit?.code).toBe(130);
  }, 240_000);

  it('a connection killed mid-run loses nothing: the run finishes and fetch gets the records the box has', async () => {
    trainingConfig(home, 12);
    const before = ledgerLines(BOX_LEDGER()).length;
    const cut = gbChild(remoteRunArgs('training.yaml', '--fetch'));
    await cut.waitFor(/epoch \d+/);
    for (const pid of sshd.sessionPids()) process.kill(pid, 'SIGKILL');
    expect(await cut.exited).not.toBe(0);
    expect(cut.output()).toMatch(/dropped[\s\S]*gatebook remote attach/);
    const id = /started run (\S+)/.exec(cut.output())![1];
    await until('the run to finish', () => status().find((r) => r.id === id)?.state === 'finished', 180);
    const fetch = gb(['remote', 'fetch', id]);
    expect(fetch.code, fetch.stderr).toBe(0);
    const there = ledgerLines(BOX_LEDGER()).slice(before);
    expect(there.map((r) => r.gate)).toContain('baseline');
    const here = ledgerLines(HOME_LEDGER()).filter((r) => r.provenance.remote?.run === id);
    expect(here.map((r) => r.provenance.remote.record)).toEqual(there.map((r) => r.hash));
    expect(gb(['gates', 'verify']).code).toBe(0);
  }, 300_000);

  it('a tampered box ledger is refused at fetch (nothing merged, the box not stopped); a verified fetch then stops it', () => {
    const id = status().at(-1)!.id;
    const original = readFileSync(BOX_LEDGER(), 'utf8');
    const lines = original.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    last.duration_s += 1;
    writeFileSync(BOX_LEDGER(), [...lines.slice(0, -1), JSON.stringify(last)].join('\n') + '\n');
    const homeBefore = readFileSync(HOME_LEDGER(), 'utf8');
    const stopped = join(box, 'stopped');
    const refused = gb(['remote', 'fetch', id, '--all', '--shutdown-after', '--shutdown-command', `touch ${stopped}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not verify on the box[\s\S]*nothing merged/);
    expect(readFileSync(HOME_LEDGER(), 'utf8')).toBe(homeBefore);
    expect(existsSync(stopped)).toBe(false);

    writeFileSync(BOX_LEDGER(), original);
    const ok = gb(['remote', 'fetch', id, '--all', '--shutdown-after', '--shutdown-command', `touch ${stopped}`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(stopped)).toBe(true);
  }, 120_000);

  it('notebooks/21_remote.ipynb runs headlessly: the runs as their box sees them, the fetched records, the comparison plot', () => {
    const out = join(home, 'out', '21_remote.executed.ipynb');
    const r = gb(['run', join(home, 'notebooks', '21_remote.ipynb'), '--cwd', home, '--out', out, '-p', 'metric=val_accuracy']);
    expect(r.code, r.stderr).toBe(0);
    const cells = JSON.parse(readFileSync(out, 'utf8')).cells as { outputs?: unknown[] }[];
    const shown = JSON.stringify(cells.map((c) => c.outputs ?? []));
    for (const run of status()) expect(shown).toContain(run.id);
    expect(shown).toMatch(/finished, exit 0/);
    expect(shown).toMatch(/finished, exit 130/);
    const fetched = ledgerLines(HOME_LEDGER()).filter((l) => l.provenance.remote);
    expect(shown).toContain(fetched[0].provenance.remote.record.slice(0, 12));
    expect(shown).toContain('application/vnd.plotly.v1+json');
  }, 120_000);

  it('an encrypted key needs its passphrase (GATEBOOK_SSH_PASSPHRASE), which appears in no output, log, ledger or file', () => {
    const locked = gb(['remote', 'status', '--identity', sshd.encryptedKey]);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/encrypted: set GATEBOOK_SSH_PASSPHRASE/);
    const open = gb(['remote', 'status', '--identity', sshd.encryptedKey], { GATEBOOK_SSH_PASSPHRASE: sshd.passphrase });
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toMatch(/finished, exit 0/);
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.name === 'node_modules' || e.isSymbolicLink() ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]);
    const files = [home, box].flatMap(walk).filter((f) => statSync(f).size < 50 << 20);
    const leaks = files.filter((f) => readFileSync(f).includes(sshd.passphrase));
    expect(leaks).toEqual([]);
    expect(outputs.filter((o) => o.includes(sshd.passphrase))).toEqual([]);
  });
});
