import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';
import { calibrationError } from '../../lib/eval/calibrationError';
import { rocAuc } from '../../lib/eval/metrics';
import { confusionMatrix, prCurve, reliabilityDiagram, rocPoints } from '../../lib/plots/classification';
import { trainingCurves } from '../../lib/plots/curves';
import { FigureExporter, figureHtml } from '../../lib/plots/exporter';
import { keyword } from '../../lib/plots/figure';
import { Random } from '../../lib/util/random';

const r = new Random(4);
const y = Array.from({ length: 500 }, () => (r.uniform() < 0.45 ? 1 : 0));
const p = y.map((v) => Math.min(1, Math.max(0, Math.round((0.5 + (v - 0.5) * 0.4 + r.normal() * 0.2) * 20) / 20))); // tied scores

describe('figure builders', () => {
  it('ROC points integrate (trapezoids) to the AUC, with ties handled', () => {
    const { fpr, tpr } = rocPoints(y, p);
    let area = 0;
    for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
    expect(area).toBeCloseTo(rocAuc(y, p), 12);
    expect([fpr[0], tpr[0], fpr.at(-1), tpr.at(-1)]).toEqual([0, 0, 1, 1]);
  });

  it('confusion counts, PR end point and reliability bins match the metrics', () => {
    const c = confusionMatrix(y, p).data[0].z as number[][];
    expect(c.flat().reduce((a, b) => a + b, 0)).toBe(500);
    expect(c[1][1]).toBe(y.filter((v, i) => v === 1 && p[i] > 0.5).length);
    const pr = prCurve(y, p).data[0] as { x: number[]; y: number[] };
    expect(pr.x.at(-1)).toBe(1);
    expect(pr.y.at(-1)).toBeCloseTo(y.filter((v) => v === 1).length / 500, 12);
    const rel = reliabilityDiagram(y, { model: p }, 10).data[1] as { x: number[]; y: number[] };
    expect(rel.x).toEqual(calibrationError(y, p, { bins: 10 }).bins.map((b) => b.meanPredicted));
  });

  it('options are normalized by one helper that names the bad value', () => {
    expect(() => keyword('metric', 'auc', ['loss', 'accuracy'] as const, 'loss')).toThrow('invalid metric: auc (expected loss, accuracy)');
    const history = [1, 2].map((e) => ({ epoch: e, loss: 1 / e, valLoss: 1, valAccuracy: 0.5, learningRate: 1e-3 / e, gradNorm: 1, samplesPerSecond: 1, seconds: 1 }));
    expect((trainingCurves(history, { metric: 'LR' }).layout.yaxis as { type: string }).type).toBe('log');
    expect(() => trainingCurves(history, { metric: 'f1' })).toThrow('invalid metric: f1');
  });
});

describe('static export', () => {
  it('renders a real PNG in headless chromium and a self-contained HTML page', async () => {
    const exporter = await new FigureExporter().start();
    try {
      const figure = reliabilityDiagram(y, { model: p });
      const png = await exporter.png(figure);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([650, 650]); // IHDR width × height
      expect(png.length).toBeGreaterThan(20_000); // drawn, not blank
    } finally {
      await exporter.stop();
    }
    const html = figureHtml(confusionMatrix(y, p));
    expect(html).toContain('Plotly.newPlot');
    expect(html).not.toMatch(/<script[^>]+src=/); // plotly.js inlined: opens offline
  }, 60_000);

  it.each([['stopped', 'await x.stop();'], ['never stopped (a kernel exiting with its figures\' browser open)', '']])('leaves nothing in TMPDIR when %s', (_how, stop) => {
    const tmp = tempDir('exporter-tmp-');
    const script = `const { FigureExporter } = require(${JSON.stringify(join(ROOT, 'dist', 'plots', 'exporter'))});
      (async () => { const x = await new FigureExporter().start(); await x.png({ data: [{ y: [1, 2] }], layout: {} }); ${stop} process.exit(0); })();`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // chromium's own folder (org.chromium.Chromium.*) was left behind at every exit without stop()
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);

  it('a browser that cannot start leaves no folder and no exit hook behind (a kernel retries at every figure)', () => {
    const tmp = tempDir('exporter-tmp-');
    const script = `const { FigureExporter } = require(${JSON.stringify(join(ROOT, 'dist', 'plots', 'exporter'))});
      (async () => { let failed = 0; for (let i = 0; i < 12; i++) await new FigureExporter().start().catch(() => failed++);
        console.log(JSON.stringify({ failed, exitHooks: process.listenerCount('exit') })); })();`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TMPDIR: tmp, GATEBOOK_CHROMIUM: '/bin/false' }, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(r.stdout)).toEqual({ failed: 12, exitHooks: 0 });
    expect(r.stderr).not.toMatch(/MaxListenersExceeded/);
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
