import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { gatebook, ROOT, tempDir } from '../helpers/cli';
import { startS3Server, type S3Server } from '../helpers/s3server';

/**
 * Experiments end to end through the `gatebook` command, in a project folder of its own:
 * new → run → promote (refused while a runbook's manual items are unsigned, then promoted),
 * a worse challenger refused (then forced, with its reason recorded), the registry verified
 * and its tampering caught, status from the ledgers, diff, and archive.
 *
 * Two logistic models on 20,000 synthetic bars (seconds each): `strong` reads one price
 * feature and reaches ~0.59 test accuracy; `plain` reads them all and reaches ~0.57 — on
 * the same data, so the same held-out windows.
 */
const GATES = `gates:
  env: { min_free_disk_gb: 0 }
  data: { min_rows: 1000 }
  split: { min_val_rows: 100, min_test_rows: 100 }
  baseline: { target_val_accuracy: 0, min_margin_over_majority: 0 }
  finalization: { min_test_accuracy: 0, max_p_value: 1, max_test_ece: 1 }
  calibration: { max_ece: 1 }
`;
const config = (features: string) => `name: x
data: { source: synthetic, generator: { bars: 20000, seed: 7 } }
features: { causalityPoints: 3, horizon: 4 }
split: { window: 16, horizon: 4 }
model: { family: logistic, params: {}, trainStride: 1${features} }
train: { epochs: 2, patience: 2 }
finalization: { epochs: 2, patience: 2 }
${GATES}`;

const today = new Date().toISOString().slice(0, 10);
let project: string;
let s3: S3Server;
const gb = (...args: string[]) => gatebook(args, project);
const json = <T>(args: string[]): T => JSON.parse(gb(...args).stdout) as T;

/** Tick every manual item of an experiment's runbooks with who and when. */
function signRunbooks(id: string): void {
  const dir = join(project, 'experiments', id, 'runbooks');
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^- \[ \] (.*) — name, YYYY-MM-DD$/gm, `- [x] $1 — tester, ${today}`));
  }
}

const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }) as string[] : []).sort();

afterAll(() => s3?.stop());

beforeAll(async () => {
  s3 = await startS3Server(['models']);
  Object.assign(process.env, s3.env); // the gatebook children find the store's credentials in their environment
  project = tempDir('gatebook-exp-');
  writeFileSync(join(project, 'strong.yaml'), config(', features: [close_sma_7_ratio]'));
  writeFileSync(join(project, 'plain.yaml'), config(''));
});

describe('experiments', { timeout: 300_000 }, () => {
  it('exp new validates the name and --from, and writes nothing when either is bad', () => {
    for (const bad of ['a/b', '..', '../up', '.hidden', 'x..y']) {
      const r = gb('exp', 'new', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/invalid experiment name/);
    }
    writeFileSync(join(project, 'broken.yaml'), 'model: { family: nope }\n');
    const broken = gb('exp', 'new', 'broken', '--from', 'broken.yaml');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml.*model\.family/s);
    expect(gb('exp', 'new', 'ghost', '--from', 'no-such-experiment').code).toBe(2);
    expect(listing(join(project, 'experiments'))).toEqual([]);

    const made = gb('exp', 'new', 'strong', '--from', 'strong.yaml');
    expect(made.code, made.stderr).toBe(0);
    const dir = join(project, 'experiments', `${today}-strong`);
    expect(readdirSync(dir).sort()).toEqual(['config.yaml', 'metadata.json', 'notes.md', 'runbooks']);
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toMatch(new RegExp(`^name: ${today}-strong$`, 'm'));
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toMatch(/## Hypothesis[\s\S]*## Changes[\s\S]*## Results/);
    expect(readdirSync(join(dir, 'runbooks'))).toContain('05_finalization.md');
    expect(gb('exp', 'new', 'strong').code).toBe(2); // exists already
    const child = gb('exp', 'new', 'plain', '--from', 'plain.yaml');
    expect(child.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(project, 'experiments', `${today}-plain`, 'metadata.json'), 'utf8'));
    expect(meta).toMatchObject({ name: 'plain', workflow: 'phases', from: { kind: 'config' }, lineage: [] });
    const list = json<Array<{ id: string; status: string }>>(['exp', 'list', '--json']);
    expect(list.map((e) => [e.id, e.status])).toEqual([[`${today}-plain`, 'active'], [`${today}-strong`, 'active']]);
  });

  it('promote refuses (exit 1, nothing written) until the runbooks are signed, then promotes into the registry', () => {
    expect(gb('exp', 'run', 'strong').code).toBe(0);
    const refused = gb('exp', 'promote', 'strong');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/promotion refused: runbooks verify: .*05_finalization\.md line \d+: manual item not signed/);
    expect(refused.stderr).toMatch(/nothing was written/);
    for (const p of ['models', 'configs', 'reports']) expect(existsSync(join(project, p)), p).toBe(false);
    const ledger = join(project, 'experiments', `${today}-strong`, 'artifacts', 'gates.jsonl');
    const recordsBefore = readFileSync(ledger, 'utf8').trim().split('\n').length;

    signRunbooks(`${today}-strong`);
    const dry = gb('exp', 'promote', 'strong', '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would promote .* as strong v1/);
    expect(existsSync(join(project, 'models'))).toBe(false); // a dry run writes nothing

    const promoted = gb('exp', 'promote', 'strong');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(listing(join(project, 'models', 'promoted'))).toEqual(['strong', join('strong', 'v1'), join('strong', 'v1', 'model.json'), join('strong', 'v1', 'weights.bin')]);
    expect(readFileSync(join(project, 'configs', 'strong.yaml'), 'utf8')).toMatch(/promoted from experiment .*-strong/);
    const registry = JSON.parse(readFileSync(join(project, 'models', 'registry.json'), 'utf8'));
    const entry = registry.entries[0];
    expect(entry).toMatchObject({ name: 'strong', version: 1, status: 'champion', target: 'synthetic-h4', experiment: `${today}-strong`, challenger: null });
    expect(entry.family).toBe(JSON.parse(readFileSync(join(project, 'models', 'promoted', 'strong', 'v1', 'model.json'), 'utf8')).family);
    expect(entry.metrics.test_accuracy).toBeGreaterThan(0.55);
    expect(entry.metrics.test_accuracy_lo).toBeLessThan(entry.metrics.test_accuracy);
    // the ledger holds the promotion record the registry names, after the final gate's record it names
    const records = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(recordsBefore + 1);
    expect(records.at(-1)).toMatchObject({ gate: 'promotion', hash: entry.promotion_record });
    expect(records.find((r: { hash: string }) => r.hash === entry.justified_by).gate).toBe('finalization');
    expect(readFileSync(join(project, 'reports', 'leaderboard.csv'), 'utf8')).toMatch(/^target,name,version,status.*\nsynthetic-h4,strong,1,champion,/);
    expect(gb('registry', 'verify').code).toBe(0);
    expect(json<Array<{ id: string; status: string }>>(['exp', 'list', '--json']).find((e) => e.id.endsWith('strong'))?.status).toBe('success');
  });

  it('a challenger worse than the champion on the same held-out windows is refused; --force --reason promotes it and records why', () => {
    expect(gb('exp', 'run', 'plain').code).toBe(0);
    signRunbooks(`${today}-plain`);
    const refused = gb('exp', 'promote', 'plain');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not worse than the champion: on \d+ held-out windows: challenger 0\.\d+ vs champion strong v1 0\.\d+ \(McNemar p = /);
    const registryBefore = readFileSync(join(project, 'models', 'registry.json'), 'utf8');
    expect(gb('exp', 'promote', 'plain', '--force').code).toBe(2); // --force needs a reason
    const forced = gb('exp', 'promote', 'plain', '--force', '--reason', 'cheaper features for the demo');
    expect(forced.code, forced.stderr).toBe(0);
    const registry = JSON.parse(readFileSync(join(project, 'models', 'registry.json'), 'utf8'));
    expect(registryBefore).not.toEqual(JSON.stringify(registry));
    expect(registry.entries.map((e: { name: string; status: string }) => [e.name, e.status])).toEqual([['strong', 'retired'], ['plain', 'champion']]);
    const challenger = registry.entries[1].challenger;
    expect(challenger.forced).toBe('cheaper features for the demo');
    expect(challenger.challenger_accuracy).toBeLessThan(challenger.champion_accuracy);
    expect(registry.entries[0].retired_by).toBe('plain v1');

    const diff = json<{ config: Array<{ key: string }>; metrics: Array<{ key: string }> }>(['exp', 'diff', 'strong', 'plain', '--json']);
    expect(diff.config.map((c) => c.key)).toEqual(['model.features']);
    expect(diff.metrics.map((m) => m.key)).toContain('finalization.test_accuracy');
  });

  it('registry verify and promote catch a tampered model file, registry or ledger record, naming the file', () => {
    const model = join(project, 'models', 'promoted', 'plain', 'v1', 'weights.bin');
    const original = readFileSync(model);
    const changed = Buffer.from(original);
    changed[changed.length - 1] ^= 1;
    writeFileSync(model, changed);
    const r = gb('registry', 'verify');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`plain v1: models/promoted/plain/v1/weights.bin: sha256 differs`);
    writeFileSync(model, original);
    expect(gb('registry', 'verify').code).toBe(0);

    const registryPath = join(project, 'models', 'registry.json');
    const registry = readFileSync(registryPath, 'utf8');
    writeFileSync(registryPath, registry.replace(/"justified_by": "[0-9a-f]{4}/, '"justified_by": "0000'));
    const forged = gb('registry', 'verify');
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/justifying record 0000.* is not in the ledger's intact chain/);
    writeFileSync(registryPath, '{ "format": "gatebook-registry", ');
    expect(gb('registry', 'verify').code).toBe(2);
    writeFileSync(registryPath, registry);

    const ledger = join(project, 'experiments', `${today}-strong`, 'artifacts', 'gates.jsonl');
    const lines = readFileSync(ledger, 'utf8');
    writeFileSync(ledger, lines.replace(/"test_accuracy":0\.(\d)/, (_, d) => `"test_accuracy":0.${(Number(d) + 1) % 10}`));
    const tampered = gb('registry', 'verify');
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/strong v1: .*-strong\/artifacts\/gates\.jsonl: the ledger does not verify: line \d+/);
    const again = gb('exp', 'promote', 'strong', '--dry-run');
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/✗ ledger verifies: .*gates\.jsonl line \d+/);
    writeFileSync(ledger, lines);
    expect(gb('registry', 'verify').code).toBe(0);
  });

  it('signals: 20 iterations on the champion — valid JSONL, non-zero confidence, the features of the bars seen so far, hits against what happened', async () => {
    const out = join(project, 'out', 'signals.jsonl');
    const r = gb('signals', '--iterations', '20', '--sleep-seconds', '0', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/signals: 20, non-zero confidence 100 %, by tier low \d+, medium \d+, high \d+; replay hit rate/);
    const signals = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(signals).toHaveLength(20);
    expect(new Set(signals.map((s) => s.model))).toEqual(new Set(['plain v1'])); // the champion only, not the retired model
    for (const s of signals) {
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeCloseTo(Math.abs(2 * s.calibrated - 1), 12);
      expect(s.direction).toBe(s.calibrated >= 0.5 ? 'up' : 'down');
    }
    // independently: the bars, their future, and the model on features computed over the whole file
    const { parseConfig } = await import('../../lib/pipeline/configFile');
    const { loadConfiguredData } = await import('../../lib/pipeline/configuredData');
    const { computeFeatures } = await import('../../lib/features');
    const { loadModel, readModelDir, savedInputs } = await import('../../lib/models');
    const { prepareForPrediction } = await import('../../lib/tensors/prepare');
    const { selectBackend } = await import('../../lib/backend/select');
    await selectBackend('wasm');
    const cfg = parseConfig((await import('yaml')).parse(readFileSync(join(project, 'plain.yaml'), 'utf8')));
    const bars = loadConfiguredData(cfg).frame;
    const times = Array.from(bars.getColumn('timestamp').cast((await import('nodejs-polars')).default.Float64).toTypedArray() as Float64Array);
    const close = Array.from(bars.getColumn('close').toArray() as number[]);
    expect(signals.map((s) => s.time)).toEqual(times.slice(-20).map((t) => new Date(t).toISOString())); // the last 20 bars, in order
    signals.forEach((s, i) => {
      const row = times.length - 20 + i;
      if (row + 4 >= times.length) expect(s.hit).toBeNull(); // the future is not in the file
      else expect(s.hit).toBe((close[row + 4] > close[row]) === (s.direction === 'up'));
    });
    // features built on the bars seen so far equal those on the whole file (causal), so the model says the same
    const dir = join(project, 'models', 'promoted', 'plain', 'v1');
    const inputs = savedInputs(readModelDir(dir));
    const whole = computeFeatures(bars);
    const { source, lastMove } = prepareForPrediction(whole, inputs.featureNames, inputs.scaler, inputs.window);
    const model = loadModel(dir);
    const p = await model.predictProba(source, Int32Array.from({ length: 20 }, (_, i) => times.length - 20 + i), lastMove);
    signals.forEach((s, i) => expect(s.probability).toBeCloseTo(p[i], 5));
    model.dispose();
  });

  it('signals refuses a promoted model whose files differ from the registry, and a registry with no champion', () => {
    const weights = join(project, 'models', 'promoted', 'plain', 'v1', 'weights.bin');
    const original = readFileSync(weights);
    const changed = Buffer.from(original);
    changed[0] ^= 1;
    writeFileSync(weights, changed);
    const out = join(project, 'out', 'refused.jsonl');
    const r = gb('signals', '--iterations', '2', '--sleep-seconds', '0', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('models/promoted/plain/v1/weights.bin (plain v1) differs from the sha256 in the registry');
    expect(existsSync(out)).toBe(false);
    writeFileSync(weights, original);
    writeFileSync(join(project, 'empty.json'), JSON.stringify({ format: 'gatebook-registry', version: 1, entries: [] }));
    const none = gb('signals', '--registry', 'empty.json', '--iterations', '2', '--sleep-seconds', '0');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no promoted model/);
  });

  it('promote --to s3://… pushes the promoted model; signals fetches it from the store when it is not here, checked against the registry', async () => {
    writeFileSync(join(project, 'cloud.yaml'), config(', features: [close_sma_7_ratio]') + 'promotion: { target: cloud }\n'); // a target of its own: no champion to beat
    expect(gb('exp', 'new', 'cloud', '--from', 'cloud.yaml').code).toBe(0);
    expect(gb('exp', 'run', 'cloud').code).toBe(0);
    signRunbooks(`${today}-cloud`);
    const promoted = gb('exp', 'promote', 'cloud', '--to', 's3://models/promoted', '--endpoint', s3.endpoint);
    expect(promoted.code, promoted.stderr).toBe(0);
    const entry = JSON.parse(readFileSync(join(project, 'models', 'registry.json'), 'utf8')).entries.find((e: { name: string }) => e.name === 'cloud');
    expect(entry).toMatchObject({ target: 'cloud', status: 'champion', stored_at: 's3://models/promoted/cloud/v1' });
    require('node:fs').rmSync(join(project, 'models', 'promoted', 'cloud'), { recursive: true }); // the model lives in the store only now

    const r = gb('signals', '--iterations', '2', '--sleep-seconds', '0', '--endpoint', s3.endpoint);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cloud v1/);
    expect(r.stdout).toMatch(/plain v1/);
    const cached = join(project, '.gatebook', 'models', 'cloud', 'v1', 'weights.bin');
    expect(createHash('sha256').update(readFileSync(cached)).digest('hex')).toBe(entry.files.find((f: { path: string }) => f.path.endsWith('weights.bin')).sha256);

    expect(gb('registry', 'verify', '--endpoint', s3.endpoint).code).toBe(0); // verified in the store

    // a replaced object in the store is refused by its sha256, and nothing of it is used
    const good = readFileSync(cached);
    require('node:fs').rmSync(join(project, '.gatebook'), { recursive: true });
    await s3.client.send(new PutObjectCommand({ Bucket: 'models', Key: 'promoted/cloud/v1/weights.bin', Body: Buffer.alloc(64) }));
    const refused = gb('signals', '--iterations', '2', '--sleep-seconds', '0', '--endpoint', s3.endpoint);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/s3:\/\/models\/promoted\/cloud\/v1 at http:\/\/127\.0\.0\.1:\d+\/weights\.bin: its sha256 \w+… differs from the manifest's/);
    expect(existsSync(join(project, '.gatebook', 'models', 'cloud', 'v1', 'weights.bin'))).toBe(false);
    const verify = gb('registry', 'verify', '--endpoint', s3.endpoint);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/cloud v1: s3:\/\/models\/promoted\/cloud\/v1: .*weights\.bin: its sha256 \w+… differs from the manifest's/);
    await s3.client.send(new PutObjectCommand({ Bucket: 'models', Key: 'promoted/cloud/v1/weights.bin', Body: good }));
    expect(gb('registry', 'verify', '--endpoint', s3.endpoint).code).toBe(0);
  });

  it('notebooks/20_experiments.ipynb runs headlessly on the project: statuses, the registry, the comparison plot, a dry run that promotes nothing', () => {
    const registryBefore = readFileSync(join(project, 'models', 'registry.json'), 'utf8');
    const out = join(project, 'out', '20_experiments.executed.ipynb');
    const r = gatebook(['run', join(ROOT, 'notebooks', '20_experiments.ipynb'), '--cwd', project, '--out', out, '-p', 'experiment=strong'], project);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const cells = JSON.parse(readFileSync(out, 'utf8')).cells as Array<{ outputs?: Array<{ data?: Record<string, unknown>; text?: string }> }>;
    const text = cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join('\n');
    expect(text).toMatch(/-strong.*success/);
    expect(text).toMatch(/plain v1.*champion/);
    expect(cells.some((c) => (c.outputs ?? []).some((o) => o.data?.['application/vnd.plotly.v1+json']))).toBe(true);
    expect(text).toMatch(/not worse than the champion/); // the dry run compared strong (retired) with the champion, plain
    expect(text).toMatch(/dry run only/);
    expect(readFileSync(join(project, 'models', 'registry.json'), 'utf8')).toBe(registryBefore);
  });

  it('bad promotions: a missing experiment, a running one, an experiment that failed — each a clear error, nothing written', () => {
    expect(gb('exp', 'promote', 'nobody').code).toBe(2);
    writeFileSync(join(project, 'weak.yaml'), config('').replace('min_test_accuracy: 0,', 'min_test_accuracy: 0.99,')); // its final gate fails
    expect(gb('exp', 'new', 'weak', '--from', 'weak.yaml').code).toBe(0);
    const weak = `${today}-weak`;
    const notRun = gb('exp', 'promote', 'weak');
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toMatch(/has not run/);
    // a run holding the experiment's artifacts folder (this test process, alive)
    const lock = join(project, 'experiments', weak, 'artifacts', '.run.lock');
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), started: new Date().toISOString(), purpose: 'a test', token: 'x' }));
    const running = gb('exp', 'promote', 'weak');
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(/is running \(pid \d+/);
    expect(json<Array<{ id: string; status: string; why: string }>>(['exp', 'list', '--json']).find((e) => e.id === weak)).toMatchObject({ status: 'active', why: expect.stringMatching(/run is in progress/) });
    require('node:fs').rmSync(lock, { recursive: true });
    gb('exp', 'run', 'weak');
    const failed = json<Array<{ id: string; status: string; why: string }>>(['exp', 'list', '--json', '--status', 'failed']);
    expect(failed.map((e) => e.id)).toEqual([weak]);
    const before = readFileSync(join(project, 'models', 'registry.json'), 'utf8');
    expect(gb('exp', 'promote', 'weak').code).toBe(1);
    expect(readFileSync(join(project, 'models', 'registry.json'), 'utf8')).toBe(before);
  });

  it('exp archive --dry-run lists what it would move; without it moves them, and the evidence still verifies', () => {
    const dry = gb('exp', 'archive', '--status', 'all', '--dry-run');
    expect(dry.code).toBe(0);
    const planned = [...dry.stdout.matchAll(/would archive (\S+) \((\w+):/g)].map((m) => [m[1], m[2]]);
    expect(planned.sort()).toEqual([[`${today}-cloud`, 'success'], [`${today}-plain`, 'success'], [`${today}-strong`, 'success'], [`${today}-weak`, 'failed']]);
    expect(readdirSync(join(project, 'experiments')).length).toBe(4);
    expect(existsSync(join(project, 'experiments-archive'))).toBe(false);

    const moved = gb('exp', 'archive', '--status', 'success');
    expect(moved.code, moved.stderr).toBe(0);
    expect(readdirSync(join(project, 'experiments'))).toEqual([`${today}-weak`]);
    const archived = join(project, 'experiments-archive', `${today}-strong`);
    expect(readdirSync(archived).sort()).toEqual(['artifacts', 'config.yaml', 'metadata.json', 'notes.md', 'runbooks']);
    expect(readdirSync(join(archived, 'artifacts')).sort()).toEqual(['gates.jsonl', 'reports']); // no checkpoints unless asked
    expect(JSON.parse(readFileSync(join(archived, 'metadata.json'), 'utf8')).archived).toMatchObject({ status: 'success' });
    expect(gb('gates', 'verify', '--ledger', join(archived, 'artifacts', 'gates.jsonl')).code).toBe(0);
    expect(gb('registry', 'verify', '--endpoint', s3.endpoint).code).toBe(0); // the justifying records are found in the archive
  });
});
