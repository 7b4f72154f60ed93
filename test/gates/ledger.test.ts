import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorPathOf, readAnchor } from '../../lib/gates/anchor';
import { appendRecord, latestByGate, verifyLedger, verifyLedgerText } from '../../lib/gates/ledger';
import { GENESIS, hashRecord } from '../../lib/gates/record';
import { canonicalJson, sha256 } from '../../lib/util/hash';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { fakeRecord } from '../helpers/records';

async function ledgerWith(n: number): Promise<string> {
  const path = join(tempDir(), 'gates.jsonl');
  for (let i = 0; i < n; i++) await appendRecord(path, fakeRecord(i % 2 ? 'data' : 'env', { i }));
  return path;
}

describe('ledger', () => {
  it('chains each record to the one before with a hash of its canonical JSON', async () => {
    const path = await ledgerWith(3);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].prev).toBe(GENESIS);
    expect(lines[1].prev).toBe(lines[0].hash);
    const { hash, mac, ...rest } = lines[2];
    expect(hash).toBe(sha256(canonicalJson(rest))); // independent of hashRecord
    expect(hashRecord(rest)).toBe(hash);
    // the mac: HMAC-SHA256 of the hash under the key the test's config dir holds (made on first use, mode 600)
    const keyFile = join(process.env.GATEBOOK_CONFIG_DIR!, 'ledger.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(mac).toBe(createHmac('sha256', Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex')).update(hash).digest('hex'));
    const state = verifyLedger(path);
    expect(state.firstBad).toBeNull();
    expect(latestByGate(state.records).get('env')!.metrics.i).toBe(2);
  });

  it('keeps one chain under 16 writers × 300 appends while a 17th is frozen inside the lock longer than any timeout', async () => {
    const path = join(tempDir(), 'concurrent.jsonl');
    const script = `
      const { appendRecord } = require(${JSON.stringify(join(ROOT, 'dist', 'gates', 'ledger.js'))});
      const record = ${JSON.stringify(fakeRecord('data'))};
      const n = Number(process.argv[3]);
      (async () => { for (let i = 0; i < n; i++) await appendRecord(process.argv[1], { ...record, run: process.argv[2], metrics: { i } }); })()
        .catch((e) => { console.error(e); process.exit(1); });`;
    const writer = (name: string, n: number, env: Record<string, string> = {}) => new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['-e', script, path, name, String(n)], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stderr }));
    });
    // the frozen writer holds the lock for 12 s at its 2nd append (a SIGSTOP, a frozen VM): nobody may take the lock from it
    const frozen = writer('frozen', 3, { GATEBOOK_PAUSE_AT: 'ledger-append:2', GATEBOOK_PAUSE_MS: '12000' });
    await new Promise((r) => setTimeout(r, 1500));
    const results = await Promise.all([frozen, ...Array.from({ length: 16 }, (_, k) => writer(`writer${k}`, 300))]);
    expect(results.map((r) => r.code)).toEqual(Array(17).fill(0));
    expect(results[0].stderr).toContain('paused at ledger-append');
    expect(results.slice(1).some((r) => /waiting for the ledger lock on .* held by pid \d+ on .* since/.test(r.stderr))).toBe(true); // said after a second
    const state = verifyLedger(path);
    expect(state.firstBad).toBeNull();
    expect(state.records).toHaveLength(16 * 300 + 3); // no append lost, none forked
    const perWriter = new Map<string, number[]>();
    for (const r of state.records) perWriter.set(r.run, [...(perWriter.get(r.run) ?? []), r.metrics.i as number]);
    for (const [name, seq] of perWriter) expect(seq, name).toEqual(Array.from({ length: name === 'frozen' ? 3 : 300 }, (_, i) => i)); // each writer's order kept
  }, 180_000);

  it('a writer killed inside the lock does not block the next: its lock is taken over at once (its process is gone)', async () => {
    const path = await ledgerWith(2);
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'gates', 'ledger.js'))}).appendRecord(process.argv[1], ${JSON.stringify(fakeRecord('data'))});`;
    const child = spawn(process.execPath, ['-e', script, path], { env: { ...process.env, GATEBOOK_PAUSE_AT: 'ledger-append' }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => d.toString().includes('paused at') && resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const started = Date.now();
    await appendRecord(path, fakeRecord('env'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(verifyLedger(path).records.map((r) => r.gate)).toEqual(['env', 'data', 'env']);
  });

  it('a writer killed after its line reached the disk and before the anchor moved: verify passes, the next append goes on and brings the anchor up', async () => {
    const path = await ledgerWith(3);
    const anchorFile = anchorPathOf(path);
    const lagging = readFileSync(anchorFile, 'utf8'); // the anchor as it was before the 4th append
    await appendRecord(path, fakeRecord('env', { i: 3 }));
    writeFileSync(anchorFile, lagging); // what a kill -9 between the line's fsync and the anchor's write leaves
    expect(gatebook(['gates', 'verify', '--ledger', path]).code).toBe(0);
    const fifth = await appendRecord(path, fakeRecord('data', { i: 4 }));
    const state = verifyLedger(path);
    expect(state.firstBad).toBeNull();
    expect(state.records.map((r) => r.metrics.i)).toEqual([0, 1, 2, 3, 4]);
    expect(state.records[3].hash).toBe(fifth.prev); // chained to the record the anchor had not reached
    expect(readAnchor(path)).toMatchObject({ records: 5, head: fifth.hash });
  });

  it('catches lines cut off the end (the anchor) and a consistent rewrite without the key (the mac)', async () => {
    const path = await ledgerWith(6);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    writeFileSync(path, lines.slice(0, 4).join('\n') + '\n'); // a perfectly valid chain, two records short
    const cut = gatebook(['gates', 'verify', '--ledger', path]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/line 5: the ledger holds 4 intact record\(s\) but its anchor \(.*\) says 6, ending at [0-9a-f]{12}…: records were cut off or rewritten/);
    await expect(appendRecord(path, fakeRecord('env'))).rejects.toThrow(/its anchor .* says 6 record\(s\).*nothing appended/);

    // rewritten from genesis with every hash recomputed, by someone without the key
    const forged = join(tempDir(), 'forged.jsonl');
    let prev = GENESIS;
    const rewritten = lines.map((l) => {
      const { hash: _h, mac: _m, ...rest } = JSON.parse(l);
      const body = { ...rest, metrics: { ...rest.metrics, i: 99 }, prev };
      prev = sha256(canonicalJson(body));
      return JSON.stringify({ ...body, hash: prev, mac: sha256(prev) });
    });
    writeFileSync(forged, rewritten.join('\n') + '\n');
    const r = gatebook(['gates', 'verify', '--ledger', forged]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 1: mac does not match the hash under the ledger key');
  });

  it('an exported anchor holds the ledger too, and a deliberate new start resets the machine anchor', async () => {
    const path = await ledgerWith(3);
    const anchor = join(tempDir(), 'ledger.anchor');
    expect(gatebook(['gates', 'anchor', '--ledger', path, '--out', anchor]).code).toBe(0);
    await appendRecord(path, fakeRecord('env'));
    expect(gatebook(['gates', 'verify', '--ledger', path, '--anchor', anchor]).code).toBe(0); // grown past it: fine
    writeFileSync(path, '');
    const r = gatebook(['gates', 'verify', '--ledger', path, '--anchor', anchor]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds 0 intact record\(s\) but its anchor/);
    const reset = gatebook(['gates', 'anchor', '--ledger', path, '--reset']);
    expect(reset.stdout).toMatch(/was 4 record\(s\) at [0-9a-f]{12}…, now 0 record\(s\)/);
    await appendRecord(path, fakeRecord('env'));
    expect(verifyLedger(path).records).toHaveLength(1);
  });

  it('gates verify catches an edited byte, a deleted line and swapped lines, naming the first bad line', async () => {
    const cases: Array<[string, (lines: string[]) => string[], number, RegExp]> = [
      ['edit', (l) => l.map((x, i) => (i === 2 ? x.replace('"i":2', '"i":3') : x)), 3, /hash does not match/],
      ['delete', (l) => l.filter((_, i) => i !== 1), 2, /not the hash of the line before/],
      ['swap', (l) => [l[0], l[2], l[1], ...l.slice(3)], 2, /not the hash of the line before/],
      ['extra key', (l) => l.map((x, i) => (i === 4 ? x.replace('{', '{"approved":true,') : x)), 5, /hash does not match/],
    ];
    for (const [name, edit, line, reason] of cases) {
      const path = await ledgerWith(6);
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      writeFileSync(path, edit(lines).join('\n') + '\n');
      const r = gatebook(['gates', 'verify', '--ledger', path]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(`line ${line}:`);
      expect(r.stderr, name).toMatch(reason);
      expect(verifyLedger(path).records, name).toHaveLength(line - 1); // nothing after it is evidence
    }
  });

  it('a ledger sealed under another key (a remote box\'s) checks unkeyed: edits and a broken chain still show', async () => {
    const path = await ledgerWith(3);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const foreign = lines.map((l) => JSON.stringify({ ...l, mac: createHmac('sha256', Buffer.alloc(32, 7)).update(l.hash).digest('hex') })).join('\n') + '\n';
    expect(verifyLedgerText(foreign).firstBad?.reason).toMatch(/mac does not match/);
    expect(verifyLedgerText(foreign, { keyed: false })).toMatchObject({ firstBad: null, lines: 3 });
    expect(verifyLedgerText(foreign.replace('"i":2', '"i":5'), { keyed: false }).firstBad).toMatchObject({ line: 3, reason: expect.stringMatching(/edited/) });
    const [a, b, c] = foreign.trim().split('\n');
    expect(verifyLedgerText([a, c, b].join('\n') + '\n', { keyed: false }).firstBad).toMatchObject({ line: 2, reason: expect.stringMatching(/prev/) });
  });

  it('refuses to append after a torn last line, and leaves the file as it was', async () => {
    const path = await ledgerWith(2);
    appendFileSync(path, '{"schema":1,"gate":"da');
    const before = readFileSync(path, 'utf8');
    await expect(appendRecord(path, fakeRecord('env'))).rejects.toThrow(/last line is not an intact gate record/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(verifyLedger(path).firstBad).toEqual({ line: 3, reason: expect.stringContaining('torn line') });
  });
});
