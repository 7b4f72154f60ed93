import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../lib/gates/ledger';
import { sha256 } from '../../lib/util/hash';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { tinyConfig } from '../helpers/tiny';

/** One tiny pipeline run whose evidence the tests then tamper with. */
let dir = '';
let artifacts = '';
let ledger = '';
let config = '';
beforeAll(() => {
  dir = tempDir();
  artifacts = join(dir, 'artifacts');
  ledger = join(artifacts, 'gates.jsonl');
  config = tinyConfig(dir, { reread: false });
  const r = gatebook(['pipeline', '--config', config, '--artifacts', artifacts]);
  expect([0, 1], r.stderr).toContain(r.code);
  expect(verifyLedger(ledger).records.at(-1)!.gate).toBe('finalization');
}, 120_000);

const latest = (gate: string) => verifyLedger(ledger).records.filter((r) => r.gate === gate).at(-1)!;
const lastResult = (gate: string) => verifyLedger(ledger).records.filter((r) => r.gate === gate && r.status !== 'error').at(-1)!;

function started(args: string[], env: Record<string, string>, until: RegExp): Promise<{ child: ReturnType<typeof spawn>; out: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve) => {
    const on = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) resolve({ child, out: () => out });
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

describe('evidence that holds', () => {
  it('the test split is read once: the guard lives in the ledger (a test_read record before the read), not in a file', () => {
    const read = verifyLedger(ledger).records.filter((r) => r.gate === 'test_read');
    expect(read).toHaveLength(1);
    expect(lastResult('finalization').metrics.test_reads).toBe(1);
    expect(existsSync(join(artifacts, 'test_reads.json'))).toBe(false); // nothing to delete to reset it
    const again = gatebook(['pipeline', '--config', config, '--artifacts', artifacts, '--from', 'finalization', '--force']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the test split was already read 1 time\(s\): \S+ by run \S+\. A second look turns the test set into a validation set/);
    expect(verifyLedger(ledger).records.filter((r) => r.gate === 'test_read')).toHaveLength(1); // refused before reading
  }, 60_000);

  it('a model swapped after its gate recorded it is refused by predict and by later gates, naming the file', () => {
    const final = lastResult('finalization').artifacts.find((a) => a.path.endsWith('weights.bin'))!.path;
    const modelDir = final.slice(0, final.lastIndexOf('/'));
    const original = readFileSync(final);
    const zeroed = Buffer.alloc(original.length);
    writeFileSync(final, zeroed);
    const meta = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    const originalMeta = readFileSync(join(modelDir, 'model.json'), 'utf8');
    writeFileSync(join(modelDir, 'model.json'), JSON.stringify({ ...meta, weightsSha256: sha256(zeroed) })); // consistent with itself
    const p = gatebook(['predict', join(artifacts, 'features.parquet'), '--model', modelDir, '--ledger', ledger]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/model\.json differs from the sha256 gate finalization recorded|weights\.bin differs from the sha256 gate finalization recorded/);
    writeFileSync(final, original);
    writeFileSync(join(modelDir, 'model.json'), originalMeta);
    expect(gatebook(['predict', join(artifacts, 'features.parquet'), '--model', modelDir, '--ledger', ledger]).code).toBe(0);
  }, 60_000);

  it('a hand-edited split.json is refused by the gates that read it and by gates verify --artifacts', () => {
    const path = join(artifacts, 'split.json');
    const original = readFileSync(path, 'utf8');
    const split = JSON.parse(original);
    writeFileSync(path, JSON.stringify({ ...split, test: { ...split.test, start: split.train.start + 100 } }, null, 2)); // the test range moved into training
    const r = gatebook(['pipeline', '--config', config, '--artifacts', artifacts, '--from', 'calibration', '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(`${path} differs from the sha256 gate split recorded`);
    expect(latest('calibration')).toMatchObject({ status: 'error' });
    const v = gatebook(['gates', 'verify', '--ledger', ledger, '--artifacts']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`${path}: sha256 differs from gate split's record`);
    writeFileSync(path, original);
  }, 60_000);

  it('a second pipeline on the same artifacts folder is refused at once, naming the holder', async () => {
    const other = join(dir, 'busy');
    const first = await started(['pipeline', '--config', config, '--artifacts', other], { GATEBOOK_PAUSE_AT: 'ledger-append:2' }, /paused at/);
    const second = gatebook(['pipeline', '--config', tinyConfig(tempDir(), { gates: '  smoke: { max_loss_ratio: 0.99 }\n' }), '--artifacts', other]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`${other} is in use by another run: pid ${first.child.pid} on \\S+ since \\S+ \\(gatebook pipeline`));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.on('exit', r));
    expect(gatebook(['pipeline', '--config', config, '--artifacts', other, '--to', 'split']).code).toBe(0); // its lock died with it
  }, 60_000);

  it('Ctrl-C stops training at the next batch, records the gate as error: interrupted, removes its model folder, exits 130', async () => {
    const busy = join(tempDir(), 'artifacts');
    const long = tinyConfig(tempDir(), { epochs: 200 });
    const run = await started(['pipeline', '--config', long, '--artifacts', busy], {}, /epoch 2:/);
    run.child.kill('SIGINT');
    const code = await new Promise<number>((r) => run.child.on('exit', (c) => r(c ?? -1)));
    expect(code).toBe(130);
    expect(run.out()).toMatch(/SIGINT: stopping — the running gate stops at its next batch/);
    expect(run.out()).toMatch(/interrupted \(Ctrl-C\): gate baseline recorded as error/);
    const records = verifyLedger(join(busy, 'gates.jsonl')).records;
    const last = records.at(-1)!;
    expect(last).toMatchObject({ gate: 'baseline', status: 'error' });
    expect(last.error).toMatch(/^interrupted \(Ctrl-C\) during training, epoch \d+, batch \d+/);
    expect(existsSync(join(busy, 'models', last.run))).toBe(false);
    expect(existsSync(join(busy, '.run.lock'))).toBe(false);
  }, 60_000);
});
