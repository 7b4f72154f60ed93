import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { gatebook, tempDir } from '../helpers/cli';

function configFile(dir: string, extra = ''): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, `name: cli-test\nfeatures:\n  causalityPoints: 4\n${extra}`);
  return path;
}

describe('gatebook pipeline', () => {
  it('records every gate, and a second run skips the unchanged passed gates', () => {
    const dir = tempDir();
    // a quick model so the test trains in seconds; the embedded default is run by `npm run pipeline`
    const quick = 'model:\n  family: logistic\n  params: {}\n  trainStride: 8\ntrain:\n  epochs: 3\n';
    const args = ['pipeline', '--config', configFile(dir, quick), '--artifacts', join(dir, 'artifacts')];
    const first = gatebook(args);
    expect(first.code, first.stderr).toBe(0);
    for (const gate of ['env', 'data', 'features', 'split', 'smoke']) expect(first.stdout).toMatch(new RegExp(`✓ ${gate}: pass in`));
    expect(first.stdout).toMatch(/[✓✗] baseline: (pass|fail) in/); // judged on the merits: either is honest
    expect(first.stdout).toMatch(/✓ runbooks\/01_planning\.md: 15 ✓, 0 ✗/);
    const second = gatebook(args);
    expect(second.code).toBe(0);
    for (const gate of ['env', 'data', 'features', 'split', 'smoke']) {
      expect(second.stdout).toMatch(new RegExp(`✓ ${gate}: skipped — unchanged inputs \\(code, config, data\\)`));
      expect(second.stdout).toMatch(new RegExp(`^${gate}\\s+pass\\s.*reused: unchanged inputs$`, 'm')); // marked in the gate table
    }
    const ledger = join(dir, 'artifacts', 'gates.jsonl');
    const gates = verifyLedger(ledger).records.map((r) => r.gate);
    expect(gates.slice(0, 6)).toEqual(['env', 'data', 'features', 'split', 'smoke', 'baseline']);
    expect(gatebook(['gates', 'verify', '--ledger', ledger]).stdout).toContain('record(s), chain intact');
    const baseline = JSON.parse(gatebook(['gates', 'show', 'baseline', '--ledger', ledger, '--json']).stdout);
    expect(baseline.artifacts.map((a: { path: string }) => a.path.split('/').pop())).toEqual(['model.json', 'weights.bin', 'history.json']);
    expect(baseline.metrics.majority_val_accuracy).toBeGreaterThan(0.4);
    const split = JSON.parse(gatebook(['gates', 'show', 'split', '--ledger', ledger, '--json']).stdout);
    expect(split.artifacts[0].path).toBe(join(dir, 'artifacts', 'split.json'));
    expect(split.provenance.data_sha256).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', 'data', 'embedded.json'), 'utf8')).sha256);
    // an edited artifact is not trusted: the gate that wrote it runs again
    writeFileSync(join(dir, 'artifacts', 'split.json'), '{}');
    expect(gatebook([...args, '--to', 'split']).stdout).toMatch(/✓ split: pass in/);
  });

  it('stops at a failing gate with exit 1, naming the check and the next step', () => {
    const dir = tempDir();
    const artifacts = join(dir, 'artifacts');
    const r = gatebook(['pipeline', '--config', configFile(dir, 'gates:\n  data:\n    min_rows: 1000000\n'), '--artifacts', artifacts]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipeline stopped at gate data: gate data: rows = 35040, expected >= 1000000 (config gates.data.min_rows)');
    expect(r.stderr).toContain('`gatebook pipeline --from data`; see runbooks/01_planning.md');
    expect(r.stdout).toMatch(/✗ runbooks\/01_planning\.md/);
    expect(verifyLedger(join(artifacts, 'gates.jsonl')).records.map((x) => `${x.gate}:${x.status}`)).toEqual(['env:pass', 'data:fail']);
    const refused = gatebook(['pipeline', '--config', configFile(dir), '--artifacts', artifacts, '--from', 'features', '--to', 'split']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gate features requires data, which has no passing record in the ledger');
    expect(gatebook(['pipeline', '--artifacts', artifacts, '--to', 'bogus']).stderr).toContain('invalid --to: bogus');
  });

  it('an input error inside a gate is recorded as error naming where, and exits 2', () => {
    const dir = tempDir();
    const artifacts = join(dir, 'artifacts');
    const csv = join(dir, 'bars.csv');
    writeFileSync(csv, 'date,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,100\n2020-01-02,1,2,0.5,oops,100\n');
    const r = gatebook(['pipeline', '--config', configFile(dir, `data:\n  source: file\n  path: ${csv}\n`), '--artifacts', artifacts]);
    expect(r.code, r.stderr).toBe(2);
    const records = verifyLedger(join(artifacts, 'gates.jsonl')).records;
    expect(records.map((x) => `${x.gate}:${x.status}`)).toEqual(['env:pass', 'data:error']);
    expect(records[1].error).toContain(csv);
    expect(r.stderr).toContain(`pipeline stopped at gate data: ${records[1].error}`);
  });

  it('refuses to run on a ledger whose chain is broken', () => {
    const dir = tempDir();
    const artifacts = join(dir, 'artifacts');
    const args = ['pipeline', '--config', configFile(dir), '--artifacts', artifacts, '--to', 'data'];
    expect(gatebook(args).code).toBe(0);
    const ledger = join(artifacts, 'gates.jsonl');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('"rows":35040', '"rows":35041'));
    const r = gatebook(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gates\.jsonl line 2: hash does not match the content/);
  });
});
