import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';
import { installTestKernel } from '../helpers/kernel';
import { type NotebookServer, startNotebookServer } from '../helpers/notebookServer';
import { trainingConfig } from '../helpers/tiny';

/**
 * The gatebook kernel in a real frontend: Debian's Jupyter Notebook 6 with its widget
 * extension, driven in headless Chromium as a user would (menus, buttons). The phase notebook
 * 03_baseline runs with Run All; then a long training is stopped with the widget's Stop button
 * and another with Kernel › Interrupt — neither may leave a pass in the ledger or kill the kernel.
 */
const SHOTS = join(ROOT, 'artifacts', 'test-screenshots');
/** A cell a user adds after Run All: the baseline again, long (stopped long before its 200 epochs). */
const LONG_TRAINING = "await gb.runGates('baseline', 'baseline', { config: gb.configWith(config, { 'train.epochs': 200, 'train.patience': 200 }), artifacts, force: true });";

interface Watch { died: string[]; events: string[] }
declare global {
  interface Window { Jupyter: any; gatebookWatch: Watch }
}

describe('a phase notebook in Jupyter Notebook with headless Chromium', () => {
  let server: NotebookServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let config: string;
  let artifacts: string;

  const ledger = () => readFileSync(join(artifacts, 'gates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { gate: string; status: string; error?: string });
  const passes = (gate: string) => ledger().filter((r) => r.gate === gate && r.status === 'pass').length;

  beforeAll(async () => {
    const { env } = installTestKernel('gatebook'); // the name the phase notebooks ask for
    dir = tempDir('frontend-nb-');
    config = trainingConfig(dir, 3, 30_000); // three epochs that pass the baseline gate
    artifacts = join(dir, 'artifacts');
    const pre = spawnSync(process.execPath, [join(ROOT, 'bin', 'gatebook.js'), 'pipeline', '--config', config, '--artifacts', artifacts, '--to', 'split'], { encoding: 'utf8', timeout: 120_000 });
    expect(pre.status, pre.stderr).toBe(0);
    // the phase notebook as a user would open it, its parameters cell edited to this test's config and artifacts
    const nb = JSON.parse(readFileSync(join(ROOT, 'notebooks', '03_baseline.ipynb'), 'utf8'));
    const params = nb.cells.find((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('parameters'));
    const source = (Array.isArray(params.source) ? params.source.join('') : params.source) as string;
    params.source = source
      .replace("let config: string = '';", `let config: string = ${JSON.stringify(config)};`)
      .replace("let artifacts: string = 'artifacts';", `let artifacts: string = ${JSON.stringify(artifacts)};`);
    expect(params.source).toContain(config);
    expect(params.source).toContain(artifacts);
    writeFileSync(join(dir, '03_baseline.ipynb'), JSON.stringify(nb));

    server = await startNotebookServer(dir, env);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}/notebooks/03_baseline.ipynb?token=${server.token}`);
    await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.() === true, null, { timeout: 60_000 });
    // everything the frontend says about the kernel's health, from the first moment
    await page.evaluate(() => {
      const w: Watch = { died: [], events: [] };
      window.gatebookWatch = w;
      for (const e of ['kernel_dead.Kernel', 'kernel_restarting.Kernel', 'kernel_autorestarting.Kernel', 'kernel_disconnected.Kernel']) {
        window.Jupyter.notebook.events.on(e, () => w.events.push(e));
      }
      new MutationObserver(() => {
        if (document.body.innerText.includes('appears to have died')) w.died.push(new Date().toISOString());
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 60_000 });
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`), fullPage: true }).catch(() => {});
      writeFileSync(join(SHOTS, 'notebook-server.log'), server?.log() ?? '');
      const cells = await page.evaluate(() => window.Jupyter.notebook.get_cells().map((c: any) => `[${c.input_prompt_number}] ${c.get_text().slice(0, 80)}\n${c.element[0].querySelector('.output_wrapper')?.innerText ?? ''}`)).catch((e) => [String(e)]);
      writeFileSync(join(SHOTS, 'cells.txt'), cells.join('\n\n'));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  const idle = async (timeout: number) => {
    await page.waitForFunction(() => {
      const cells = window.Jupyter.notebook.get_cells();
      return cells.every((c: any) => c.cell_type !== 'code' || (c.input_prompt_number !== '*'))
        && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
    }, null, { timeout, polling: 250 });
  };
  /** Add a code cell at the bottom, run it as Shift+Enter would, and return its index. */
  const runNewCell = (code: string) => page.evaluate((text) => {
    const nb = window.Jupyter.notebook;
    const cell = nb.insert_cell_at_bottom('code');
    cell.set_text(text);
    const index = nb.find_cell_index(cell);
    nb.select(index);
    nb.execute_cells([index]);
    return index;
  }, code);
  /** What a cell's outputs show, without the Out[n] prompts. */
  const outputText = (index: number) => page.evaluate((i) => [...window.Jupyter.notebook.get_cell(i).element[0].querySelectorAll('.output_subarea')].map((e: HTMLElement) => e.innerText).join('\n'), index);
  const outputCell = (index: number) => page.locator('.cell').nth(index);

  it('Run All: no error output, the training widget, a rendered figure and the gate table', async () => {
    await page.click('#celllink');
    await page.click('#run_all_cells a');
    await page.waitForFunction(() => window.Jupyter.notebook.get_cells().some((c: any) => c.input_prompt_number === '*'), null, { timeout: 10_000 });
    await idle(180_000);
    expect(await page.locator('.output_error').count()).toBe(0);
    // the training cell showed its live widget (progress bar + Stop) and it ended as done
    expect(await page.locator('.widget-area .widget-hprogress').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('.widget-area button.widget-button', { hasText: 'Done' }).count()).toBeGreaterThanOrEqual(1);
    // the training curves: an <img> the browser decoded
    const img = page.locator('.output_png img').first();
    await expect.poll(() => img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBeGreaterThan(100);
    // the ledger as a table in the last cell: the baseline row passing
    const cells = await page.evaluate(() => window.Jupyter.notebook.ncells());
    const table = outputCell(cells - 1).locator('.output_subarea table');
    await expect.poll(() => table.count()).toBeGreaterThan(0);
    const rows = await table.first().locator('tr').allInnerTexts();
    expect(rows.some((r) => /baseline/.test(r) && /pass/.test(r))).toBe(true);
    expect(passes('baseline')).toBe(1);
    expect(await page.evaluate(() => window.gatebookWatch)).toEqual({ died: [], events: [] });
  }, 240_000);

  it('the Stop button of the training widget ends training, and the gate is not recorded as a pass', async () => {
    const before = passes('baseline');
    const index = await runNewCell(LONG_TRAINING);
    const cell = outputCell(index);
    const bar = cell.locator('.widget-hprogress .progress-bar');
    await bar.waitFor({ timeout: 60_000 });
    // count the bar's updates in place
    await bar.evaluate((el) => {
      (window as any).barUpdates = 0;
      new MutationObserver(() => ((window as any).barUpdates += 1)).observe(el, { attributes: true, attributeFilter: ['style'] });
    });
    await page.waitForFunction(() => (window as any).barUpdates >= 3, null, { timeout: 60_000 });
    await cell.locator('.widget-area button.widget-button', { hasText: 'Stop' }).click();
    await idle(60_000);
    const text = await outputText(index);
    expect(text).toMatch(/InterruptedError: gate baseline recorded as error: interrupted \(the Stop button of baseline\)/);
    await expect.poll(() => cell.locator('.widget-area button.widget-button').first().innerText()).toBe('Stopped');
    expect(passes('baseline')).toBe(before);
    const last = ledger().filter((r) => r.gate === 'baseline').at(-1)!;
    expect(last.status).toBe('error');
    expect(last.error).toMatch(/^interrupted/);
    expect(await page.evaluate(() => window.gatebookWatch)).toEqual({ died: [], events: [] });
  }, 180_000);

  it('Kernel › Interrupt during training (after figures were shown) keeps the kernel alive and records no pass', async () => {
    const before = passes('baseline');
    const index = await runNewCell(LONG_TRAINING);
    await outputCell(index).locator('.widget-hprogress .progress-bar').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500); // in the middle of an epoch
    await page.click('#kernellink');
    await page.click('#int_kernel a');
    await idle(60_000);
    expect(await outputText(index)).toMatch(/InterruptedError: gate baseline recorded as error: interrupted \(the notebook was interrupted\) during training, epoch \d+, batch \d+/);
    const check = await runNewCell('1 + 1');
    await idle(30_000);
    expect((await outputText(check)).trim()).toBe('2');
    expect(passes('baseline')).toBe(before);
    expect(ledger().filter((r) => r.gate === 'baseline').at(-1)!.status).toBe('error');
    await page.waitForTimeout(3000); // the kernel used to die ~2 s after an interrupt once a figure had been exported
    expect(await page.evaluate(() => window.gatebookWatch)).toEqual({ died: [], events: [] });
    expect(existsSync(join(artifacts, '.run.lock'))).toBe(false);
  }, 180_000);
});
