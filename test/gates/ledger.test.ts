import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecord, latestByGate, verifyLedger } from '../../lib/gates/ledger';
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
    const { hash, ...rest } = lines[2];
    expect(hash).toBe(sha256(canonicalJson(rest))); // independent of hashRecord
    expect(hashRecord(rest)).toBe(hash);
    const state = verifyLedger(path);
    expect(state.firstBad).toBeNull();
    expect(latestByGate(state.records).get('env')!.metrics.i).toBe(2);
  });

  it('keeps a valid chain under 8 processes × 500 concurrent appends', async () => {
    const path = join(tempDir(), 'concurrent.jsonl');
    const script = `
      const { appendRecord } = require(${JSON.stringify(join(ROOT, 'dist', 'gates', 'ledger.js'))});
      const record = ${JSON.stringify(fakeRecord('data'))};
      (async () => { for (let i = 0; i < 500; i++) await appendRecord(process.argv[1], { ...record, run: process.argv[2], metrics: { i } }); })()
        .catch((e) => { console.error(e); process.exit(1); });`;
    const codes = await Promise.all(Array.from({ length: 8 }, (_, k) => new Promise<number>((resolve) => {
      spawn(process.execPath, ['-e', script, path, `writer${k}`], { stdio: 'inherit' }).on('exit', (code) => resolve(code ?? -1));
    })));
    expect(codes).toEqual(Array(8).fill(0));
    const state = verifyLedger(path);
    expect(state.lines).toBe(4000);
    expect(state.firstBad).toBeNull();
    expect(state.records).toHaveLength(4000);
    const perWriter = new Map<string, number[]>();
    for (const r of state.records) perWriter.set(r.run, [...(perWriter.get(r.run) ?? []), r.metrics.i as number]);
    for (const seq of perWriter.values()) expect(seq).toEqual(Array.from({ length: 500 }, (_, i) => i)); // each writer's order kept
  }, 120_000);

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

  it('refuses to append after a torn last line, and leaves the file as it was', async () => {
    const path = await ledgerWith(2);
    appendFileSync(path, '{"schema":1,"gate":"da');
    const before = readFileSync(path, 'utf8');
    await expect(appendRecord(path, fakeRecord('env'))).rejects.toThrow(/last line is not an intact gate record/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(verifyLedger(path).firstBad).toEqual({ line: 3, reason: expect.stringContaining('torn line') });
  });
});
