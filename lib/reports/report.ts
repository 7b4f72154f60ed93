import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadDataset } from '../data/dataset';
import { formatNumber } from '../gates/messages';
import type { GateRecord } from '../gates/record';
import { latestRecords, modelHistory } from '../gates/queries';
import { calibrationCurves } from '../pipeline/gates';
import { confusionMatrix, prCurve, reliabilityDiagram, rocCurve } from '../plots/classification';
import { trainingCurves } from '../plots/curves';
import { gateTimeline, priceWithSplits } from '../plots/data';
import { FigureExporter } from '../plots/exporter';
import type { Figure } from '../plots/figure';
import { loadSplit } from '../split/splitFile';
import { ledgerPathOf, verifyLedger } from '../gates/ledger';
import { writeFileAtomic } from '../util/atomic';
import { rocAuc } from '../eval/metrics';

export interface ReportResult {
  dir: string;
  reports: string[];
  figures: string[];
  skipped: string[];
}

/**
 * `artifacts/reports/`: baseline_results.md (written here), diagnostic_report.md,
 * optimization_results.md and test_results.md (written by their gates), the figures as PNG
 * (headless chromium) and an index.html that shows them all. What a gate has not produced
 * yet is listed as missing, not invented.
 */
export async function writeReport(artifacts = 'artifacts', ledger = ledgerPathOf(artifacts)): Promise<ReportResult> {
  const dir = join(artifacts, 'reports');
  const records = latestRecords(ledger);
  const result: ReportResult = { dir, reports: [], figures: [], skipped: [] };
  const baseline = records.find((r) => r.gate === 'baseline');
  if (baseline) {
    writeFileAtomic(join(dir, 'baseline_results.md'), baselineResults(baseline));
  }
  for (const name of ['baseline_results.md', 'diagnostic_report.md', 'optimization_results.md', 'test_results.md']) {
    (existsSync(join(dir, name)) ? result.reports : result.skipped).push(name);
  }
  const figures = collectFigures(artifacts, ledger, result.skipped);
  if (FigureExporter.available() && figures.length) {
    const exporter = await new FigureExporter().start();
    try {
      for (const [name, figure] of figures) {
        await exporter.writePng(figure, join(dir, `${name}.png`));
        result.figures.push(`${name}.png`);
      }
    } finally {
      await exporter.stop();
    }
  } else if (figures.length) result.skipped.push('figures (no chromium: apt-get install chromium)');
  writeFileAtomic(join(dir, 'index.html'), indexHtml(dir, result, records));
  return result;
}

function collectFigures(artifacts: string, ledger: string, skipped: string[]): Array<[string, Figure]> {
  const figures: Array<[string, Figure]> = [];
  const attempt = (name: string, make: () => Figure) => {
    try {
      figures.push([name, make()]);
    } catch {
      skipped.push(`${name}.png (its gate has not run)`);
    }
  };
  attempt('price_and_split', () => priceWithSplits(loadDataset(join(artifacts, 'features.parquet')).frame, { split: loadSplit(join(artifacts, 'split.json')) }));
  attempt('baseline_loss', () => trainingCurves(modelHistory(ledger, 'baseline'), { title: 'Baseline training loss' }));
  attempt('final_loss', () => trainingCurves(modelHistory(ledger, 'finalization'), { title: 'Final training loss' }));
  attempt('reliability', () => {
    const c = calibrationCurves(ledger);
    return reliabilityDiagram(c.labels, { before: c.raw, [`after (${c.method})`]: c.calibrated });
  });
  attempt('roc_validation', () => {
    const c = calibrationCurves(ledger);
    return rocCurve(c.labels, c.raw, rocAuc(c.labels, c.raw));
  });
  attempt('pr_validation', () => {
    const c = calibrationCurves(ledger);
    return prCurve(c.labels, c.raw);
  });
  attempt('confusion_validation', () => {
    const c = calibrationCurves(ledger);
    return confusionMatrix(c.labels, c.calibrated);
  });
  attempt('gate_timeline', () => gateTimeline(verifyLedger(ledger).records));
  return figures;
}

function baselineResults(r: GateRecord): string {
  const rows = Object.entries(r.metrics).map(([k, v]) => `| ${k} | ${v === null ? 'n/a' : formatNumber(v)} |`);
  const checks = r.checks.map((c) => `| ${c.pass ? '✓' : '✗'} | ${c.metric} ${c.op} ${Array.isArray(c.threshold) ? c.threshold.join(' … ') : c.threshold} | ${c.value === null ? 'n/a' : formatNumber(c.value)} | ${c.source} |`);
  return `# Baseline results

Gate **baseline**: ${r.status.toUpperCase()} (run \`${r.run}\`, ${r.finished}, record \`${r.hash.slice(0, 12)}\`).
${r.decision ? `Decision: ${r.decision}.\n` : ''}
| check | rule | value | threshold from |
|---|---|---|---|
${checks.join('\n')}

| metric | value |
|---|---|
${rows.join('\n')}

![training loss](baseline_loss.png)
`;
}

function indexHtml(dir: string, result: ReportResult, records: GateRecord[]): string {
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
  const gates = records.map((r) => `<tr><td>${r.gate}</td><td class="${r.status}">${r.status}</td><td>${r.finished}</td><td><code>${r.hash.slice(0, 12)}</code></td></tr>`).join('');
  const reports = result.reports.map((f) => `<h2>${f}</h2><pre>${esc(readFileSync(join(dir, f), 'utf8'))}</pre>`).join('');
  const figures = result.figures.map((f) => `<figure><img src="${f}" alt="${f}"><figcaption>${basename(f, '.png').replace(/_/g, ' ')}</figcaption></figure>`).join('');
  const missing = result.skipped.length ? `<p>Not yet produced: ${result.skipped.map(esc).join(', ')}.</p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>gatebook report</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:2px 10px}.pass{color:green}.fail{color:#b00}.error{color:gray}img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow:auto}</style>
</head><body><h1>gatebook report</h1><table><tr><th>gate</th><th>status</th><th>finished</th><th>record</th></tr>${gates}</table>${missing}${figures}${reports}</body></html>\n`;
}
