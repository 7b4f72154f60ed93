import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli';
import { findings, installTestKernel, python } from '../helpers/kernel';
import { trainingConfig } from '../helpers/tiny';

const strip = (lines: string[]) => lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));

/** What a frontend does with the kernel — comms, stdin, tslab's API, tracebacks, interrupts — through Debian's jupyter_client. */
describe('the kernel under a Jupyter client', () => {
  let found: Record<string, any>;
  beforeAll(() => {
    const { env } = installTestKernel();
    const dir = tempDir('frontend-');
    const r = python('frontend_checks.py', dir, { ...env, GATEBOOK_TINY_CONFIG: trainingConfig(dir, 30), GATEBOOK_TEST_ARTIFACTS: `${dir}/artifacts` });
    found = findings(r.stdout, r.stderr);
    expect(found.failed, found.failed).toBeUndefined();
  }, 400_000);

  it('opens comms both ways: messages answered on each side, comm_info lists the open ones, an unknown target is closed', () => {
    expect(found.kernel_open).toEqual([{ target: 'gatebook.echo', data: { hello: 1 } }]);
    expect(found.kernel_comm_answer).toEqual({ got: { n: 41 } });
    expect(found.comm_info).toEqual({ 'frontend-ping-1': { target_name: 'gatebook.ping' } });
    expect(found.frontend_comm_answer).toEqual({ pong: 2 });
    expect(found.comm_info_after_close).toEqual(['gatebook.echo']); // the closed one is gone
    expect(found.unknown_target_closed).toBe(true);
  });

  it('asks for input on stdin, and refuses at once (no hang) when the frontend takes none', () => {
    expect(found.stdin).toEqual({ prompt: 'your name? ', result: ['hello Ada'] });
    expect(found.stdin_refused.status).toBe('error');
    expect(found.stdin_refused.evalue).toMatch(/allow_stdin is false/);
    expect(found.stdin_refused.seconds).toBeLessThan(5);
  });

  it("runs tslab's display API unchanged, updates included", () => {
    expect(found.tslab_status).toBe('ok');
    expect(found.tslab.map((d: any) => [d.type, d.mimes[0], d.data])).toEqual([
      ['display_data', 'text/html', '<b>hi</b>'],
      ['display_data', 'text/markdown', '**md**'],
      ['display_data', 'text/plain', 'plain'],
      ['display_data', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'],
      ['display_data', 'image/png', Buffer.from([137, 80, 78, 71]).toString('base64')],
      ['display_data', 'image/jpeg', Buffer.from([255, 216, 255]).toString('base64')],
      ['display_data', 'text/plain', 'first'],
      ['update_display_data', 'text/plain', 'second'],
    ]);
    expect(found.tslab.slice(-2).every((d: any) => d.display_id)).toBe(true);
  });

  it('resolves names from earlier cells in shorthand properties, destructuring assignment included', () => {
    expect(found.shorthand).toEqual([["{ shortA: 1, shortB: 'b' }"], ['{ shortA: 1 }'], ['7']]);
  });

  it("names the cell's own line and column in runtime tracebacks, an earlier cell's frames by that cell, library frames by source path", () => {
    expect(strip(found.tb1.traceback)).toEqual(['Error: boom', 'cell line 1:7:', '  throw new Error("boom")', '        ^', '    at cell line 1:7']);
    expect(strip(found.tb3.traceback)).toEqual(['Error: three 2', 'cell line 3:7:', '  throw new Error("three " + b)', '        ^', '    at cell line 3:7']);
    const tb7 = strip(found.tb7.traceback);
    expect(tb7.slice(0, 3)).toEqual(['RangeError: deep 3', 'cell line 7:1:', '  deep(total)']);
    expect(tb7).toContain(`    at deep (cell[${found.deep_cell}] line 3:11)`); // the function was declared in an earlier cell, its throw is on that cell's line 3
    expect(tb7.at(-1)).toBe('    at cell line 7:1');
    const lib = strip(found.tb_library.traceback);
    expect(lib.some((l) => /at Object\.parseConfig \(.*\/lib\/pipeline\/configFile\.ts:\d+:\d+\)/.test(l))).toBe(true);
    expect(lib.join('\n')).not.toMatch(/evalmachine|dist\/kernel|tslab\/dist/);
    expect(found.tb1.traceback[0]).toMatch(/^\x1b\[0;31m/); // in colour, as other kernels send
  });

  it('renders a figure the same way as a last expression, with gb.show and with showFigure: plotly JSON, one PNG, text', () => {
    const bundle = ['application/vnd.plotly.v1+json', 'image/png', 'text/plain'];
    expect(found.figure_bundles).toEqual({ 'last expression': bundle, 'gb.show': bundle, showFigure: bundle });
  });

  it('survives an interrupt after a figure was shown (a browser runs in the kernel)', () => {
    expect(found.after_figure_interrupt).toEqual({ status: 'error', ename: 'Interrupted', alive: true });
    expect(found.one_plus_one).toEqual(['2']);
  });

  it('an interrupt during training stops it at the next batch and records the gate as error: interrupted, never pass', () => {
    expect(found.gates_before_training).toBe('ok');
    expect(found.training_seen).toBe(true);
    expect(found.training_interrupt.status).toBe('error');
    expect(found.training_interrupt.ename).toBe('InterruptedError');
    expect(found.training_interrupt.evalue).toMatch(/gate baseline recorded as error: interrupted \(the notebook was interrupted\) during training, epoch \d+, batch \d+/);
    expect(found.training_interrupt.seconds).toBeLessThan(5);
    expect(found.baseline_records).toHaveLength(1);
    expect(found.baseline_records[0].status).toBe('error');
    expect(found.baseline_records[0].error).toMatch(/^interrupted/);
    expect(found.one_plus_one_after_training).toEqual(['2']);
  });
});
