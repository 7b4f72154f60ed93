import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { symbolComparison } from '../../lib/plots/symbols';
import type { GateRecord } from '../../lib/gates/record';
import { gatebook, gatebookAsync, tempDir } from '../helpers/cli';
import { startCoinbaseServer } from '../helpers/coinbaseServer';

/**
 * Several symbols end to end through the `gatebook` command: three correlated synthetic
 * symbols (8,000 bars each) → a model per symbol (logistic, seconds) and one model over all
 * of them (a small transformer with a learned symbol embedding); each gate records one
 * record per symbol and judges itself by the k-of-n rule; promotion writes what passed and
 * says which symbols did not; signals serve the symbols each promoted model passed on.
 */
const SYMBOLS = ['AAA-USD', 'BBB-USD', 'CCC-USD'];
const config = (extra = '') => `name: x
data:
  source: synthetic-symbols
  generator:
    bars: 8000
    seed: 7
    symbols:
      - { symbol: AAA-USD, annualVol: 0.5, startPrice: 100 }
      - { symbol: BBB-USD, annualVol: 0.8, startPrice: 50 }
      - { symbol: CCC-USD, annualVol: 1.2, startPrice: 10 }
features: { causalityPoints: 3, horizon: 4 }
split: { window: 16, horizon: 4 }
model: { family: logistic, params: {}, trainStride: 1 }
train: { epochs: 2, patience: 2 }
workflow:
  multiSymbol: { params: { dModel: 8, heads: 2, layers: 1, ffSize: 16, dropout: 0 } }
gates:
  env: { min_free_disk_gb: 0 }
  data: { min_rows: 1000 }
  split: { min_val_rows: 100, min_test_rows: 100 }
${extra}`;

const today = new Date().toISOString().slice(0, 10);
let project: string;
const gb = (...args: string[]) => gatebook(args, project);

interface Rec { gate: string; symbol?: string; status: string; run: string; metrics: Record<string, number>; checks: Array<{ pass: boolean }> }
const ledger = (id: string): Rec[] => readFileSync(join(project, 'experiments', id, 'artifacts', 'gates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const registry = () => JSON.parse(readFileSync(join(project, 'models', 'registry.json'), 'utf8')) as { entries: Array<Record<string, any>> };

function signRunbooks(id: string): void {
  const dir = join(project, 'experiments', id, 'runbooks');
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^- \[ \] (.*) — name, YYYY-MM-DD$/gm, `- [x] $1 — tester, ${today}`));
  }
}

/**
 * The gate's records of one run: one per symbol, then its own. Each symbol's status is its
 * checks; the gate's symbols_passed counts them and it passes when k of them did; each
 * symbol's test windows are its test rows less a window's warm-up (from the split file).
 */
function judged(id: string, gate: string): { perSymbol: Rec[]; own: Rec; passed: string[] } {
  const records = ledger(id);
  const own = records.filter((r) => r.gate === gate && r.symbol === undefined).at(-1)!;
  const perSymbol = records.filter((r) => r.gate === gate && r.symbol !== undefined && r.run === own.run);
  expect(perSymbol.map((r) => r.symbol)).toEqual(SYMBOLS);
  const split = JSON.parse(readFileSync(join(project, 'experiments', id, 'artifacts', 'split.json'), 'utf8'));
  for (const r of perSymbol) {
    expect(r.status, `${r.symbol}`).toBe(r.checks.every((c) => c.pass) ? 'pass' : 'fail');
    const segment = split.symbols.find((s: { symbol: string }) => s.symbol === r.symbol);
    expect(r.metrics.test_windows).toBe(segment.test.rows - 16 + 1);
  }
  const passed = perSymbol.filter((r) => r.status === 'pass').map((r) => r.symbol!);
  expect(own.metrics.symbols_passed).toBe(passed.length);
  expect(own.metrics.symbols_total).toBe(3);
  expect(records.filter((r) => r.gate === 'test_read')).toHaveLength(1);
  return { perSymbol, own, passed };
}

beforeAll(() => {
  project = tempDir('gatebook-symbols-');
  writeFileSync(join(project, 'sym.yaml'), config());
  writeFileSync(join(project, 'sym-k4.yaml'), config('  symbol_models: { min_symbols_passed: 4 }\n'));
});

describe('several symbols', { timeout: 300_000 }, () => {
  it('a model per symbol: a record per symbol, the gate by k of n, one registry entry per symbol that passed', () => {
    expect(gb('exp', 'new', 'ps', '--from', 'sym.yaml', '--workflow', 'per-symbol').code).toBe(0);
    const run = gb('exp', 'run', 'ps');
    const { own, passed } = judged(`${today}-ps`, 'symbol_models');
    expect(own.status).toBe(passed.length >= 2 ? 'pass' : 'fail');
    expect(run.code, run.stderr).toBe(own.status === 'pass' ? 0 : 1);
    expect(run.stdout).toMatch(new RegExp(`symbols passed: ${passed.join(', ')}`));
    expect(passed.length, 'the logistic model beats the majority class on at least 2 of these 3 symbols').toBeGreaterThanOrEqual(2);

    signRunbooks(`${today}-ps`);
    const promoted = gb('exp', 'promote', 'ps');
    expect(promoted.code, promoted.stderr).toBe(0);
    const entries = registry().entries.filter((e) => e.experiment === `${today}-ps`);
    expect(entries.map((e) => e.symbol)).toEqual(passed);
    for (const e of entries) {
      expect(e.name).toBe(`ps-${e.symbol}`);
      expect(e.symbols).toEqual({ rule: '2 of 3', passed, failed: SYMBOLS.filter((s) => !passed.includes(s)) });
      for (const f of e.files) expect(existsSync(join(project, f.path))).toBe(true);
    }
    expect(gb('registry', 'verify').code).toBe(0);
  });

  it('k of n not met: the gate fails naming the rule, and promotion is refused with nothing written', () => {
    expect(gb('exp', 'new', 'ps4', '--from', 'sym-k4.yaml', '--workflow', 'per-symbol').code).toBe(0);
    const run = gb('exp', 'run', 'ps4');
    expect(run.code).toBe(1);
    const { own } = judged(`${today}-ps4`, 'symbol_models');
    expect(own.status).toBe('fail');
    expect(run.stdout).toMatch(/fewer symbols passed than the k-of-n rule asks.*symbols_passed = \d, expected >= 4/);
    const before = readFileSync(join(project, 'models', 'registry.json'), 'utf8');
    signRunbooks(`${today}-ps4`);
    const refused = gb('exp', 'promote', 'ps4');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/promotion refused: final gate passed: symbol_models fail/);
    expect(readFileSync(join(project, 'models', 'registry.json'), 'utf8')).toBe(before);
    expect(existsSync(join(project, 'models', 'promoted', 'ps4-AAA-USD'))).toBe(false);
  });

  it('one model over all symbols: promoted by k of n; signals on the symbols each model serves; a tampered file is refused', () => {
    expect(gb('exp', 'new', 'ms', '--from', 'sym.yaml', '--workflow', 'multi-symbol').code).toBe(0);
    const run = gb('exp', 'run', 'ms');
    const { own, passed } = judged(`${today}-ms`, 'multi_symbol');
    expect(run.code, run.stdout.slice(-2000)).toBe(own.status === 'pass' ? 0 : 1);
    expect(own.status, 'the multi-symbol transformer passes on at least 2 of 3 symbols').toBe('pass');
    const model = JSON.parse(readFileSync(join(project, 'experiments', `${today}-ms`, 'artifacts', 'models', own.run, 'multi_symbol', 'model.json'), 'utf8'));
    expect(model.features.slice(-3)).toEqual(SYMBOLS.map((s) => `symbol=${s}`)); // the symbol embedding's inputs
    // the notebook's figure: each symbol's test accuracy, coloured by its verdict, beside the majority class
    const fig = symbolComparison(ledger(`${today}-ms`) as unknown as GateRecord[], 'multi_symbol') as unknown as { data: Array<{ x: string[]; y: number[]; marker: { color: string | string[] } }>; layout: { title: { text: string } } };
    expect(fig.data[0].x).toEqual(SYMBOLS);
    expect(fig.data[0].marker.color).toEqual(SYMBOLS.map((s) => (passed.includes(s) ? '#1f77b4' : '#d62728')));
    expect(fig.data[1].y).toEqual(judged(`${today}-ms`, 'multi_symbol').perSymbol.map((r) => r.metrics.majority_test_accuracy));
    expect(fig.layout.title.text).toBe(`multi_symbol: ${passed.length} of 3 symbols passed (needs 2)`);
    signRunbooks(`${today}-ms`);
    const dry = gb('exp', 'promote', 'ms', '--dry-run');
    expect(dry.stdout).toMatch(new RegExp(`would promote ${today}-ms as ms v1 \\(target synthetic-symbols-h4\\) by 2 of 3 symbols \\(passed: ${passed.join(', ')}`));
    expect(gb('exp', 'promote', 'ms').code).toBe(0);
    const entry = registry().entries.find((e) => e.name === 'ms')!;
    expect(entry.symbols.passed).toEqual(passed);
    expect(entry.symbol).toBeUndefined();
    expect(readFileSync(join(project, 'reports', 'leaderboard.csv'), 'utf8')).toContain(`,ms,1,champion,${today}-ms,transformer,${passed.join(' ')} (2 of 3),`);

    // every champion serves its symbols: ms the ones it passed on, each ps-<symbol> its own
    const served = passed.length + registry().entries.filter((e) => e.experiment === `${today}-ps`).length;
    const signals = gb('signals', '--iterations', '20', '--sleep-seconds', '0', '--out', 'signals.jsonl');
    expect(signals.code, signals.stderr).toBe(0);
    const lines = readFileSync(join(project, 'signals.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20 * served);
    expect(lines.filter((s) => s.model === 'ms v1').map((s) => s.symbol).sort()).toEqual(passed.flatMap((s) => Array(20).fill(s)).sort());
    for (const s of lines) expect(s.confidence).toBeGreaterThan(0);
    expect(signals.stdout).toMatch(new RegExp(`signals: ${20 * served}, non-zero confidence 100 %`));

    const weights = join(project, entry.files.find((f: { path: string }) => f.path.endsWith('weights.bin')).path);
    const original = readFileSync(weights);
    writeFileSync(weights, Buffer.concat([original, Buffer.from([0])]));
    const tampered = gb('signals', '--iterations', '1', '--sleep-seconds', '0');
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/models\/promoted\/ms\/v1\/weights\.bin \(ms v1\) differs from the sha256 in the registry/);
    writeFileSync(weights, original); // as promoted again: the next test serves it
  });

  it('signals live from an exchange: each iteration reads the latest closed bars of each symbol a champion serves', async () => {
    const exchange = await startCoinbaseServer({ products: SYMBOLS }); // the exchange lists the symbols by their own ids
    try {
      const before = Date.now();
      const live = await gatebookAsync(['signals', '--exchange', 'coinbase', '--base-url', exchange.url, '--iterations', '2', '--sleep-seconds', '0', '--history', '600', '--out', 'live.jsonl'], project);
      expect(live.code, live.stderr).toBe(0);
      const lines = readFileSync(join(project, 'live.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const served = registry().entries.filter((e) => e.status === 'champion').reduce((n, e) => n + (e.symbol ? 1 : e.symbols.passed.length), 0);
      expect(lines).toHaveLength(2 * served);
      const quarter = 15 * 60_000;
      const lastClosed = Math.floor(before / quarter) * quarter - quarter; // the bar that opened one interval before the last boundary
      for (const s of lines) {
        expect(Date.parse(s.time)).toBeGreaterThanOrEqual(lastClosed);
        expect(Number.isFinite(s.calibrated)).toBe(true);
      }
      const candles = exchange.requests.filter((q) => q.path.includes('/candles') && q.status === 200);
      expect(new Set(candles.map((q) => q.path.split('/')[6]))).toEqual(new Set(lines.map((s) => s.symbol)));
      expect(candles.every((q) => /granularity=FIFTEEN_MINUTE/.test(q.path))).toBe(true); // the models' training interval
    } finally {
      await exchange.close();
    }
  });

  it('a new experiment of a symbol workflow without --from starts from the embedded three-symbol option', () => {
    expect(gb('exp', 'new', 'coins', '--workflow', 'multi-symbol').code).toBe(0);
    const dir = join(project, 'experiments', `${today}-coins`);
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toMatch(/^data: \{ source: embedded, variant: three-symbol \}$/m);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toMatch(/Started from the embedded three-symbol option/);
    expect(readdirSync(join(dir, 'runbooks')).sort()).toEqual(['01_planning.md', '21_multi_symbol.md']);
    expect(gb('exp', 'new', 'plain-default').code).toBe(0); // other workflows: the embedded default, as before
    expect(readFileSync(join(project, 'experiments', `${today}-plain-default`, 'config.yaml'), 'utf8')).not.toMatch(/three-symbol/);
  });

  it('a sweep over symbols: one task per symbol, each trained on that symbol alone; an unknown symbol is named', () => {
    writeFileSync(join(project, 'per-symbol.sweep.yaml'), 'name: by-symbol\nbase: sym.yaml\nto: data\naxes:\n  symbol: [AAA-USD, CCC-USD]\n');
    const plan = gb('sweep', 'plan', 'per-symbol.sweep.yaml', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).map((t: { overrides: Record<string, string> }) => t.overrides.symbol)).toEqual(['AAA-USD', 'CCC-USD']);
    writeFileSync(join(project, 'one.yaml'), config().replace('name: x', 'name: one\nsymbol: CCC-USD'));
    const one = gb('pipeline', '--config', 'one.yaml', '--to', 'data', '--artifacts', 'one');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/data\s+pass\s+rows = 8000/);
    writeFileSync(join(project, 'none.yaml'), config().replace('name: x', 'name: none\nsymbol: ZZZ-USD'));
    const none = gb('pipeline', '--config', 'none.yaml', '--to', 'data', '--artifacts', 'none');
    expect(none.code).toBe(2); // bad input: recorded as the data gate's error, not a pass
    expect(none.stdout).toMatch(/symbol: ZZZ-USD is not in the data \(synthetic-symbols holds AAA-USD, BBB-USD, CCC-USD\)/);
  });
});
