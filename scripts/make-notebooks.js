// Writes notebooks/*.ipynb (the phase and gated-workflow notebooks): `node scripts/make-notebooks.js`, then commit them.
const fs = require('fs');
let n = 0;
const id = (nb, i) => `${nb.slice(0, 2)}-${String(i).padStart(2, '0')}`;
const md = (s) => ({ cell_type: 'markdown', metadata: {}, source: s });
const code = (s, tags) => ({ cell_type: 'code', metadata: tags ? { tags } : {}, execution_count: null, outputs: [], source: s });
const PARAMS = (extra = '') => code(`let config: string = '';          // experiment config file ('' = the embedded default)
let artifacts: string = 'artifacts'; // ledger and outputs, relative to the project
let ledger: string = '';             // the gate ledger ('' = <artifacts>/gates.jsonl)${extra}`, ['parameters']);
const SETUP = code(`import * as gb from 'gatebook';
gb.enterProject(); // the project folder: same artifacts, ledger and runbooks as the CLI
const cfg = gb.configWith(config);
await gb.selectBackend(cfg.backend);`, ['setup']);
const SETUP_WITH = (overrides) => code(`import * as gb from 'gatebook';
gb.enterProject(); // the project folder: same artifacts, ledger and runbooks as the CLI
const cfg = gb.configWith(config, { ${overrides} });
await gb.selectBackend(cfg.backend);`, ['setup']);
const TABLE = `gb.show(gb.latestRecords(artifacts, ledger));`;

const notebooks = {
  '00_env': [
    md(`# 00 · Environment

What this phase decides: can this machine run the pipeline, and what exactly is it? The
**env** gate records Node, the TensorFlow.js backend chosen (tfjs-node-gpu → tfjs-node →
wasm → cpu), the device, cores, memory, free disk, whether the data is present, and a
micro-benchmark of the backend. Every later record carries this provenance.`),
    PARAMS(), SETUP,
    code(`const device = gb.deviceReport();
const choice = await gb.selectBackend(cfg.backend);
({ backend: choice.name, passedOver: choice.skipped, ...device })`),
    code(`await gb.microBenchmark()`),
    code(`await gb.runGates('env', 'env', { config: cfg, artifacts: artifacts, ledger: ledger });
${TABLE}`),
  ],
  '01_data': [
    md(`# 01 · Data

What this phase decides: are the bars fit to learn from? The **data** gate validates order,
duplicates, gaps (warnings), NaN/Inf, OHLC consistency, prices and volumes, and requires
enough rows.`),
    PARAMS(), SETUP,
    code(`const data = gb.loadConfiguredData(cfg); // the data the config names: embedded, synthetic or a file
const frame = data.frame;
frame.head(5)`),
    code(`const report = gb.validateOhlcv(frame, { source: data.source });
({ rows: report.rows, interval: report.interval, errors: report.errors, gaps: report.gaps })`),
    code(`await gb.showFigure(gb.priceWithSplits(frame));`),
    code(`// env first: skipped when it already passed with the same code, config and data
await gb.runGates('env', 'data', { config: cfg, artifacts: artifacts, ledger: ledger });
${TABLE}`),
  ],
  '02_features': [
    md(`# 02 · Features and split

What this phase decides: are the features causal, complete and balanced, and is the split
sound? The **features** gate recomputes every feature on data cut at many rows (a feature
that reads the future fails it); the **split** gate checks that parts do not overlap and that
the purge covers window + horizon, and reports drift.`),
    PARAMS(), SETUP,
    code(`await gb.runGates('features', 'split', { config: cfg, artifacts: artifacts, ledger: ledger });
const features = gb.loadDataset(\`\${artifacts}/features.parquet\`).frame;
const split = gb.loadSplit(\`\${artifacts}/split.json\`);
features.select('timestamp', 'close', 'rsi_14', 'macd', 'vol_regime', 'label').head(5)`),
    code(`await gb.showFigure(gb.priceWithSplits(features, { features: ['rsi_14'], split: split }));`),
    code(`await gb.showFigure(gb.featureDistributions(features, 'bb_width', split));`),
    code(`await gb.showFigure(gb.correlationHeatmap(features, gb.stationaryFeatureNames()));`),
    code(TABLE),
  ],
  '03_baseline': [
    md(`# 03 · Baseline

What this phase decides: the branch of the 5-phase workflow. The **smoke** gate checks
that a tiny model's loss falls; the **baseline** gate trains the configured model with the
seed's defaults and judges it against the target, the majority class (+2 points), the
persistence rule, a label-shuffle control and the plausibility ceiling. Sufficient → go to
calibration and finalization; insufficient → diagnostics.`),
    PARAMS(`
let model: string = '';               // lstm, bilstm, tcn, transformer, logistic ('' = the config's)
let epochs: number = 0;               // 0 = the config's (the seed's 20)`),
    SETUP_WITH(`'model.family': model || undefined, 'train.epochs': epochs || undefined`),
    code(`await gb.runGates('smoke', 'baseline', { config: cfg, artifacts: artifacts, ledger: ledger });
const baseline = gb.latestRecords(artifacts, ledger).find((r) => r.gate === 'baseline')!;
baseline.metrics`),
    code(`await gb.showFigure(gb.trainingCurves(gb.modelHistory('baseline', artifacts, ledger)));`),
    code(TABLE),
  ],
  '04_diagnostics': [
    md(`# 04 · Diagnostics

What this phase decides (only when the baseline fell short): the primary issue —
overfitting, underfitting, divergence, stall, data quality, resource inefficiency — and 3–5
ranked recommendations, written as config changes the optimization phase applies. A change
already in effect is never recommended; with fewer than 3 real changes the run is recorded as
near-optimal and optimization is skipped.`),
    PARAMS(), SETUP,
    code(`const { result } = await gb.runGates('diagnostics', 'diagnostics', { config: cfg, artifacts: artifacts, ledger: ledger });
result.outcomes.map((o) => \`\${o.gate}: \${o.action}\`)`),
    code(`const ran = result.outcomes.some((o) => o.action === 'ran');
if (ran) gb.showMarkdown(\`\${artifacts}/reports/diagnostic_report.md\`);
else console.log('the baseline was sufficient: the decision tree skipped diagnostics');`),
    code(TABLE),
  ],
  '05_optimization': [
    md(`# 05 · Optimization

What this phase decides (only after diagnostics): whether the recommendations beat the
baseline. Each is applied on its own (at most \`maxOptimizationIterations\`), trained on the same
split, and the best model is kept — the baseline when nothing beats it.`),
    PARAMS(), SETUP,
    code(`const { result } = await gb.runGates('optimization', 'optimization', { config: cfg, artifacts: artifacts, ledger: ledger });
result.outcomes.map((o) => \`\${o.gate}: \${o.action}\`)`),
    code(`if (result.outcomes.some((o) => o.action === 'ran')) gb.showMarkdown(\`\${artifacts}/reports/optimization_results.md\`);
else console.log('nothing to optimize: the decision tree skipped this phase');`),
    code(TABLE),
  ],
  '06_calibration': [
    md(`# 06 · Calibration

What this phase decides: can the model's probabilities be trusted as probabilities? The
**calibration** gate fits the configured calibrator on validation, judges it out of fold,
and requires the upper 95 % bound of the expected calibration error to be ≤ 0.05.`),
    PARAMS(), SETUP,
    code(`await gb.runGates('calibration', 'calibration', { config: cfg, artifacts: artifacts, ledger: ledger });
const curves = gb.calibrationCurves(artifacts, ledger);
gb.latestRecords(artifacts, ledger).find((r) => r.gate === 'calibration')!.metrics`),
    code(`await gb.showFigure(gb.reliabilityDiagram(curves.labels, { before: curves.raw, [\`after (\${curves.method})\`]: curves.calibrated }));`),
    code(TABLE),
  ],
  '07_finalize': [
    md(`# 07 · Finalization

What this phase decides: is the model ready to promote? Final training with extended
patience, the test split read **once**, the promotion checks (accuracy, beating majority and
persistence with significance, calibration, plausibility, k of n symbols), the model
exported with its calibrator, and \`test_results.md\`.`),
    PARAMS(), SETUP,
    code(`await gb.runGates('finalization', 'finalization', { config: cfg, artifacts: artifacts, ledger: ledger });
gb.showMarkdown(\`\${artifacts}/reports/test_results.md\`);`),
    code(`await gb.showFigure(gb.trainingCurves(gb.modelHistory('finalization', artifacts, ledger)));`),
    code(`await gb.showFigure(gb.gateTimeline(gb.verifyLedger(ledger || \`\${artifacts}/gates.jsonl\`).records));
${TABLE}`),
  ],
};


const G = (from, to = from) => `await gb.runGates('${from}', '${to}', { config: cfg, artifacts: artifacts, ledger: ledger, workflow: 'gated' });`;
const METRICS = (gate, keys) => `const rec = gb.latestRecords(artifacts, ledger).find((r) => r.gate === '${gate}')!;
gb.pick(rec.metrics, [${keys.map((k) => `'${k}'`).join(', ')}])`;
const gatedNotebooks = {
  '10_smoke': [
    md(`# 10 · Gate 1: smoke and baseline (gated workflow)

What this gate decides: does the training loop work, and what is the number to beat? The
**smoke** gate trains a tiny model on a small slice (its loss must fall); the **baseline**
gate trains the configured model and records the validation accuracy and **F1** that gate 4
must beat, judged against majority, persistence, a label-shuffle control and the
plausibility ceiling. Run 00–02 first (env, data, features and split).`),
    PARAMS(), SETUP,
    code(`${G('smoke', 'baseline')}
${METRICS('baseline', ['val_accuracy', 'val_f1', 'majority_val_accuracy', 'persistence_val_accuracy', 'shuffle_val_accuracy'])}`),
    code(`await gb.showFigure(gb.trainingCurves(gb.modelHistory('baseline', artifacts, ledger)));`),
    code(TABLE),
  ],
  '11_minirocket_control': [
    md(`# 11 · Gate 2: MiniRocket control

What this gate decides: what does a strong, cheap classical model reach on the same windows?
MiniRocket (84 fixed kernels, ~10k PPV features) with a ridge head (alpha by blocked
cross-validation) for small n or a logistic head for large n. It faces the same honesty checks; the seed
expects the neural models to beat it.`),
    PARAMS(`
let features: number = 0;            // 0 = the config's (10,000)`),
    SETUP_WITH(`'workflow.minirocket.numFeatures': features || undefined`),
    code(`${G('minirocket')}
${METRICS('minirocket', ['val_accuracy', 'val_f1', 'majority_val_accuracy', 'shuffle_val_accuracy', 'ridge', 'alpha', 'windows_per_second'])}`),
    code(`await gb.showFigure(gb.modelComparison(gb.latestRecords(artifacts, ledger), 'val_accuracy'));
${TABLE}`),
  ],
  '12_pretrain': [
    md(`# 12 · Gate 3: masked pretraining and linear probe

What this gate decides: did the BiLSTM encoder learn something from unlabeled windows?
Random or patch masks hide a share of the steps; the encoder + a linear decoder reconstruct
them (loss on masked steps only) and must beat predicting the centre. A linear probe on the
frozen encoder's features must reach 0.55 on validation and beat the majority class.`),
    PARAMS(`
let maskRatio: number = 0;           // 0 = the config's (0.15)
let maskStrategy: string = '';       // random or patch ('' = the config's)`),
    SETUP_WITH(`'workflow.pretrain.maskRatio': maskRatio || undefined, 'workflow.pretrain.maskStrategy': maskStrategy || undefined`),
    code(`${G('pretrain')}
${METRICS('pretrain', ['val_loss', 'zero_val_loss', 'val_loss_ratio', 'probe_accuracy', 'majority_val_accuracy'])}`),
    code(`gb.modelHistory('pretrain', artifacts, ledger)`),
    code(TABLE),
  ],
  '13_finetune': [
    md(`# 13 · Gate 4: two-phase fine-tuning

What this gate decides: does the pretrained encoder help? A BiLSTM classifier starts from
the encoder's weights: phase 1 trains the head with the encoder frozen, phase 2 trains all
layers at a lower learning rate. Its validation F1 must beat the baseline's.`),
    PARAMS(), SETUP,
    code(`${G('finetune')}
${METRICS('finetune', ['val_accuracy', 'val_f1', 'majority_val_accuracy', 'shuffle_val_accuracy', 'best_epoch'])}`),
    code(`await gb.showFigure(gb.trainingCurves(gb.modelHistory('finetune', artifacts, ledger), { title: 'Fine-tuning, phase 2' }));`),
    code(TABLE),
  ],
  '14_augment': [
    md(`# 14 · Gate 5: augmentation

What this gate decides: do augmented windows help, and are they realistic? Jitter, scaling,
magnitude warp, time warp and window slicing make new training windows; a method whose
windows differ from the real feature distributions (KS per feature) is dropped, and the
counts kept and dropped are recorded. Gate 4's fine-tuning is repeated on real + kept windows.`),
    PARAMS(), SETUP,
    code(`${G('augment')}
const aug = gb.latestRecords(artifacts, ledger).find((r) => r.gate === 'augment')!;
Object.fromEntries(Object.entries(aug.metrics).filter(([k]) => /^(kept|ks|generated|dropped)/.test(k)))`),
    code(`gb.pick(aug.metrics, ['val_accuracy', 'val_f1', 'val_f1_vs_finetune', 'shuffle_val_accuracy'])`),
    code(TABLE),
  ],
  '15_simple_lstm': [
    md(`# 15 · Gate 6: simple LSTM baseline

What this gate decides: how far does a plain unidirectional LSTM, trained from scratch, get?
It is the member of the ensemble that shares nothing with the pretrained encoder.`),
    PARAMS(`
let units: number = 0;               // 0 = the config's (64)`),
    SETUP_WITH(`'workflow.simpleLstm.units': units || undefined`),
    code(`${G('simple_lstm')}
${METRICS('simple_lstm', ['val_accuracy', 'val_f1', 'majority_val_accuracy', 'shuffle_val_accuracy'])}`),
    code(`await gb.showFigure(gb.trainingCurves(gb.modelHistory('simple_lstm', artifacts, ledger)));`),
    code(TABLE),
  ],
  '16_ensemble': [
    md(`# 16 · Gate 7: calibrated ensemble

What this gate decides: is the ensemble worth it? Each member (fine-tuned, augmented, simple
LSTM) is calibrated with isotonic regression out of fold on validation and the calibrated
probabilities are averaged. The ensemble and its members are judged alike: by log loss (a
proper scoring rule, with a block-bootstrap interval of the difference) and by accuracy at
a threshold each block of validation takes from the other blocks. Then: which model is best?`),
    PARAMS(), SETUP,
    code(`${G('ensemble')}
${METRICS('ensemble', ['val_log_loss', 'best_member_val_log_loss', 'log_loss_vs_best_member_lo', 'log_loss_vs_best_member_hi', 'val_accuracy_xfit', 'best_member_val_accuracy_xfit', 'ece'])}`),
    code(`const best = gb.bestRecord(gb.latestRecords(artifacts, ledger).filter((r) => r.status === 'pass'), 'val_f1')!;
({ gate: best.gate, val_f1: best.metrics.val_f1, model: best.artifacts[0].path })`),
    code(`await gb.showFigure(gb.modelComparison(gb.latestRecords(artifacts, ledger), 'val_f1'));
${TABLE}`),
  ],
};
Object.assign(notebooks, gatedNotebooks);

// several symbols: a model per symbol, or one model over all of them (workflows per-symbol, multi-symbol)
const GS = (gate, workflow) => `await gb.runGates('${gate}', '${gate}', { config: cfg, artifacts: artifacts, ledger: ledger, workflow: '${workflow}' });`;
const SYMBOL_CELLS = (gate, workflow) => [
  code(`${GS(gate, workflow)}
// each symbol's record (it carries the symbol), then the gate's own: k of n
const records = gb.verifyLedger(ledger || \`\${artifacts}/gates.jsonl\`).records;
const own = records.filter((r) => r.gate === '${gate}' && r.symbol === undefined).at(-1)!;
gb.show(records.filter((r) => r.gate === '${gate}' && r.run === own.run).map((r) => ({
  symbol: r.symbol ?? 'all (k of n)', status: r.status, test_accuracy: r.metrics.test_accuracy, majority: r.metrics.majority_test_accuracy,
  test_windows: r.metrics.test_windows, ...(r.symbol ? {} : { passed: r.metrics.symbols_passed, of: r.metrics.symbols_total }),
})));`),
  code(`await gb.showFigure(gb.symbolComparison(records, '${gate}'));
${TABLE}`),
];
notebooks['23_symbol_models'] = [
  md(`# 23 · Several symbols: a model per symbol

What this gate decides: on which symbols does the model work? The config's model is trained
once per symbol, on that symbol's windows only (none crosses a symbol; the split cuts every
symbol at the same dates), calibrated on its validation windows and judged on its test
windows; the test split is read once for all of them. Each symbol gets its own record; the
gate passes when at least k of the n symbols pass (\`gates.symbol_models.min_symbols_passed\`,
2 by default), and promotion writes the passing symbols' models. Use a dataset of several
symbols (\`data: { source: embedded, variant: three-symbol }\`) and run 00–02 first with
\`workflow: 'per-symbol'\` (docs/symbols.md).`),
  PARAMS(), SETUP,
  ...SYMBOL_CELLS('symbol_models', 'per-symbol'),
];
notebooks['24_multi_symbol'] = [
  md(`# 24 · Several symbols: one model over all of them

What this gate decides: does one model serve every symbol? The transformer reads the
features plus one indicator per symbol — its input projection turns them into a learned
embedding of each symbol — and trains on every symbol's windows (none crosses a symbol). It is
calibrated on validation and judged on each symbol's test windows, the test split read once;
it passes when it passes on at least k of the n symbols, and is promoted to serve those
(docs/symbols.md).`),
  PARAMS(), SETUP,
  ...SYMBOL_CELLS('multi_symbol', 'multi-symbol'),
];

// notebooks outside the workflows: tools over many experiments
notebooks['20_experiments'] = [
  md(`# 20 · Experiments and promotion

What this notebook decides: which experiment's model serves. It lists the experiments with
the status their ledgers give (never the words in their notes), shows the leaderboard and the
champion of each target against its challengers, and promotes — a dry run first, naming every
check; the real promotion only when \`promote\` is true and every check holds
(docs/experiments.md).`),
  code(`let experiment: string = ''; // the experiment to promote (id or name; '' = the newest with status success)
let promote: boolean = false;   // after the dry run, promote for real`, ['parameters']),
  code(`import * as gb from 'gatebook';
gb.enterProject(); // the project folder: experiments/, models/registry.json, reports/
await gb.selectBackend();`, ['setup']),
  code(`const rows = gb.listExperiments().map((e) => ({ id: e.id, ...gb.experimentStatus(e) }));
gb.show(rows.map(({ id, status, why, lastActivity }) => ({ id, status, why, last_activity: lastActivity.toISOString() })));`),
  code(`const registry = gb.readRegistry();
gb.show(registry.entries.map((e) => ({ model: \`\${e.name} v\${e.version}\`, status: e.status, target: e.target, experiment: e.experiment,
  test_accuracy: e.metrics.test_accuracy, lo: e.metrics.test_accuracy_lo, hi: e.metrics.test_accuracy_hi, forced: e.challenger?.forced ?? '' })));`),
  code(`if (registry.entries.length) await gb.showFigure(gb.registryComparison(registry.entries));`),
  code(`const chosen = experiment || rows.filter((r) => r.status === 'success').at(-1)?.id;
if (!chosen) throw new gb.InputError('no experiment with status success to promote: run one (gatebook exp run) and sign its runbooks');
const target = gb.findExperiment(chosen);
const dry = await gb.promoteExperiment(target, { dryRun: true });
gb.show(dry.checks);`),
  code(`if (promote && dry.checks.every((c) => c.ok)) {
  const done = await gb.promoteExperiment(target);
  console.log(\`promoted \${target.id} as \${done.entry!.name} v\${done.entry!.version}\`);
} else console.log(promote ? 'not promoted: a check above does not hold' : 'dry run only (set promote = true to promote)');
gb.show(gb.readRegistry().entries.map((e) => ({ model: \`\${e.name} v\${e.version}\`, status: e.status, target: e.target })));`),
];

notebooks['21_remote'] = [
  md(`# 21 · The rented box

What this notebook decides: which remote runs are done and whose evidence is home. It lists
the runs this checkout started with \`gatebook remote run\` as their boxes see them now
(running, finished with an exit code, or died), fetches the finished ones when \`fetch\` is
true — the box's ledger verified there and here, every artifact checked against its sha256 —
and shows the fetched records: each names its host, run and its hash in the box's ledger
(docs/remote.md).`),
  code(`let host: string = '';              // only runs on this host ('' = all)
let fetch: boolean = false;          // fetch the finished runs that are not home yet
let metric: string = 'val_accuracy'; // the metric to compare the fetched runs by
let artifacts: string = 'artifacts';`, ['parameters']),
  code(`import * as gb from 'gatebook';
gb.enterProject(); // the project folder: .gatebook/remote/ (the runs started here) and artifacts/`, ['setup']),
  code(`const runs = await gb.remoteStatus({ host: host || undefined });
gb.show(runs.map((r) => ({ run: r.id, host: r.host, state: r.state === 'finished' ? \`finished, exit \${r.exit?.code ?? r.exit?.signal}\` : r.state,
  started: r.started.slice(0, 19), elapsed_s: r.elapsed_s, fetched: r.fetched?.at.slice(0, 19) ?? '', last: r.last.slice(0, 100), command: \`gatebook \${r.args.join(' ')}\` })));`),
  code(`if (fetch) {
  for (const r of runs.filter((r) => r.state === 'finished' && !r.fetched)) {
    const { report, session } = await gb.fetchRemote(r.id, { artifacts });
    session.close();
    console.log(\`\${r.id}: merged \${report.merged} record(s), \${report.files} artifact file(s), each matching its sha256\`);
  }
}`),
  code(`const home = gb.allRecords(artifacts).filter((r) => r.provenance.remote);
gb.show(home.map((r) => ({ gate: r.gate, status: r.status, [metric]: r.metrics[metric] ?? null, host: r.provenance.remote!.host, run: r.provenance.remote!.run,
  box_record: r.provenance.remote!.record.slice(0, 12), device: r.provenance.device })));`),
  code(`if (home.some((r) => typeof r.metrics[metric] === 'number')) await gb.showFigure(gb.remoteRunComparison(home, metric));
else console.log(\`nothing fetched with \${metric} yet: gatebook remote fetch <run> (or fetch = true above)\`);`),
];

notebooks['22_sweep'] = [
  md(`# 22 · A sweep

What this notebook decides: which point of the grid is worth keeping, and whether its lead is
more than seed variance. It shows the sweep's plan (each task's overrides), where every task
stands (done, running, pending, failed with its gate), and the metric over the axes from the
merged sweep ledger, each point the mean over the seeds with its 95 % interval
(docs/sweeps.md; run with \`gatebook sweep run\`, merge with \`gatebook sweep collect\`).`),
  code(`let sweep: string = '';               // the sweep's name (artifacts/sweeps/<name>/)
let metric: string = '';              // '' = the sweep file's metric
let artifacts: string = 'artifacts';`, ['parameters']),
  code(`import * as gb from 'gatebook';
gb.enterProject();
if (!sweep) throw new gb.InputError('set the sweep parameter to a sweep\\'s name (gatebook sweep plan <sweep.yaml> makes one)');
const plan = gb.readPlan(gb.sweepDirOf(sweep, artifacts));
const m = metric || plan.sweep.metric;`, ['setup']),
  code(`gb.show(plan.tasks.map((t) => ({ task: t.index, id: t.id, ...t.overrides })));`),
  code(`const status = gb.sweepStatus(plan);
gb.show(status.map((s) => ({ task: s.index, id: s.id, state: s.state, failed_gate: s.gate ?? '', [m]: s.value, where: s.host ?? '', why: s.why })));`),
  code(`const merged = gb.allRecords(plan.dir).filter((r) => r.provenance.sweep);
if (merged.length) await gb.showFigure(gb.sweepPlot(merged, m));
else console.log('nothing merged yet: gatebook sweep collect ' + plan.name);`),
];

for (const [name, cells] of Object.entries(notebooks)) {
  const nb = {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'gatebook', display_name: 'TypeScript (gatebook)', language: 'typescript' }, language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' } },
    cells: cells.map((c, i) => ({ id: id(name, i), ...c })),
  };
  fs.writeFileSync(`notebooks/${name}.ipynb`, JSON.stringify(nb, null, 1) + '\n');
}
console.log('wrote', Object.keys(notebooks).length);
