import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import { writeFileAtomic } from '../util/atomic';
import { GatebookError } from '../util/errors';
import type { Figure } from './figure';

const CHROMIUM = process.env.GATEBOOK_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Page = { evaluate<R>(fn: (arg: never) => R | Promise<R>, arg?: unknown): Promise<R>; setContent(html: string): Promise<void>; addScriptTag(o: { path: string }): Promise<unknown> };
type Browser = { newPage(): Promise<Page>; close(): Promise<void> };

/**
 * Static export of figures: PNG through Plotly.toImage in headless Debian chromium (via
 * playwright-core; plotly.js from the package, no network), and a self-contained HTML
 * file. One browser serves many figures: start once, export, stop.
 */
export class FigureExporter {
  private browser: Browser | null = null;
  private page: Page | null = null;
  /** chromium's TMPDIR, removed at stop() or when the process exits (see start). */
  private tmp: string | null = null;
  private readonly removeTmp = (): void => {
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
    this.tmp = null;
  };

  static available(): boolean {
    return existsSync(CHROMIUM);
  }

  async start(): Promise<this> {
    if (!FigureExporter.available()) {
      throw new GatebookError(`no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set GATEBOOK_CHROMIUM`);
    }
    const { chromium } = require('playwright-core') as { chromium: { launch(o: object): Promise<Browser> } };
    // playwright's own signal handlers close the browser and EXIT the process on SIGINT: in a
    // kernel that is Jupyter's interrupt, which must stop the cell, not the kernel
    // chromium makes a folder of its own in TMPDIR (org.chromium.Chromium.*, its singleton
    // socket) and leaves it when it is ended rather than closed — at every exit of a kernel
    // that showed a figure: it gets a TMPDIR of ours, removed when we stop or the process exits
    this.tmp = mkdtempSync(join(tmpdir(), 'gatebook-chromium-'));
    process.once('exit', this.removeTmp);
    try {
      this.browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, env: { ...process.env, TMPDIR: this.tmp }, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
      this.page = await this.browser.newPage();
      await this.page.setContent('<html><body><div id="plot"></div></body></html>');
      await this.page.addScriptTag({ path: plotlyPath() });
    } catch (e) {
      await this.stop().catch(() => {}); // a kernel retries with a new exporter: no browser, folder or exit hook left from this one
      throw e;
    }
    return this;
  }

  /** A PNG of the figure, as bytes. */
  async png(figure: Figure, scale = 1): Promise<Buffer> {
    if (!this.page) throw new GatebookError('FigureExporter is not started: call start() first');
    const width = Number(figure.layout.width ?? 900);
    const height = Number(figure.layout.height ?? 500);
    const dataUrl = await this.page.evaluate(
      (async ({ fig, w, h, s }: { fig: Figure; w: number; h: number; s: number }) => {
        const Plotly = (globalThis as unknown as { Plotly: { toImage(f: object, o: object): Promise<string> } }).Plotly;
        return Plotly.toImage({ data: fig.data, layout: fig.layout }, { format: 'png', width: w, height: h, scale: s });
      }) as never,
      { fig: figure, w: width, h: height, s: scale },
    );
    return Buffer.from(String(dataUrl).replace(/^data:image\/png;base64,/, ''), 'base64');
  }

  async writePng(figure: Figure, path: string): Promise<Buffer> {
    const bytes = await this.png(figure);
    writeFileAtomic(path, bytes);
    return bytes;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    this.browser = null;
    this.page = null;
    process.removeListener('exit', this.removeTmp);
    this.removeTmp();
  }
}

function plotlyPath(): string {
  return require.resolve('plotly.js-dist-min/plotly.min.js', { paths: [packageRoot()] });
}

/** A self-contained HTML page for a figure (plotly.js inlined: opens offline). */
export function figureHtml(figure: Figure): string {
  const plotly = require('node:fs').readFileSync(plotlyPath(), 'utf8') as string;
  const title = String((figure.layout.title as { text?: string } | undefined)?.text ?? 'figure');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><script>${plotly}</script></head>` +
    `<body><div id="plot"></div><script>Plotly.newPlot('plot', ${JSON.stringify(figure.data)}, ${JSON.stringify(figure.layout)});</script></body></html>`;
}

export function writeHtml(figure: Figure, path: string): void {
  writeFileAtomic(path, figureHtml(figure));
}
