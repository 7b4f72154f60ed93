import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecord } from '../../lib/gates/ledger';
import { parseRunbook } from '../../lib/runbooks/runbook';
import { contextOf, verifyRunbook } from '../../lib/runbooks/verify';
import { gatebook, tempDir } from '../helpers/cli';
import { fakeRecord } from '../helpers/records';

const RUNBOOK = `# Test runbook

Why it matters, in words.

- [ ] \`passed(data)\` — data passed
- [x] \`data.rows >= 1000\` — enough rows (ticked by hand, but it does not hold)
- [ ] \`passed(ensemble)\` — no record yet
- [x] Reviewed the licence of the data — alice, 2026-11-20
- [x] Ticked without a name
- [ ] Not done yet
* [ ] \`data.rows + 1 == 501\` — bullets with * count too
`;

describe('runbook verification', () => {
  it('checks automatic items against the ledger and manual ones for who and when', async () => {
    const ledger = join(tempDir(), 'gates.jsonl');
    const record = await appendRecord(ledger, fakeRecord('data', { rows: 500 }));
    const result = verifyRunbook(parseRunbook(RUNBOOK, 'test.md'), contextOf([record]));
    expect(result.items.map((r) => [r.item.line, r.status])).toEqual([
      [5, 'holds'], [6, 'fails'], [7, 'fails'], [8, 'manual-done'], [9, 'manual-open'], [10, 'manual-open'], [11, 'holds'],
    ]);
    expect(result.items[0].evidence).toEqual([{ ref: 'passed(data)', value: true, hash: record.hash }]);
    expect(result.items[3].item.signoff).toEqual({ who: 'alice', when: '2026-11-20' });
    expect(result.items[4].reason).toMatch(/without who and when/);
    expect(result.ok).toBe(false);
  });

  it('`gatebook verify` prints evidence, exits 1 unless everything holds, and --write fixes the ticks', async () => {
    const dir = tempDir();
    const ledger = join(dir, 'gates.jsonl');
    const path = join(dir, 'rb.md');
    writeFileSync(path, RUNBOOK);
    const record = await appendRecord(ledger, fakeRecord('data', { rows: 500 }));
    const r = gatebook(['verify', path, '--ledger', ledger]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`evidence: data.rows = 500 [record ${record.hash.slice(0, 10)}]`);
    expect(r.stdout).toMatch(/✗\s+line\s+7 .*\n.*\n\s+does not hold: no record of gate ensemble/);
    gatebook(['verify', path, '--ledger', ledger, '--write']);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[4]).toMatch(/^- \[x\] `passed\(data\)`/);
    expect(lines[5]).toMatch(/^- \[ \] `data.rows >= 1000`/); // unticked: it no longer holds
    expect(lines[8]).toBe('- [x] Ticked without a name'); // manual items untouched
    expect(lines[10]).toMatch(/^\* \[x\]/);
    const clean = join(dir, 'clean.md');
    writeFileSync(clean, '# ok\n- [ ] `passed(data) and data.rows == 500`\n- [x] Signed — bob 2026-01-01\n');
    expect(gatebook(['verify', clean, '--ledger', ledger]).code).toBe(0);
    writeFileSync(clean, '# bad\n- [ ] `require("fs")`\n');
    const bad = gatebook(['verify', clean, '--ledger', ledger]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/clean\.md:2:\d+: malformed expression/);
  });
});
