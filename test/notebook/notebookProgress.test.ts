import { afterEach, describe, expect, it } from 'vitest';
import { installDisplayHook, type MimeBundle } from '../../lib/kernel/display';
import { notebookProgress } from '../../lib/notebook/progress';
import { selectBackend } from '../../lib/backend/select';
import { logistic } from '../../lib/models';
import { toyData } from '../helpers/toy';

afterEach(() => installDisplayHook(undefined));

describe('notebook training progress', () => {
  it('shows one output and updates it in place, ending with the epoch table', async () => {
    await selectBackend('wasm');
    const calls: Array<{ bundle: MimeBundle; displayId?: string; update?: boolean }> = [];
    installDisplayHook({ display: (bundle, o) => calls.push({ bundle, ...o }) });
    const m = await logistic().fit(toyData(300, 3, 4), { epochs: 3, batchSize: 32, callbacks: notebookProgress('logistic', 0) });
    m.dispose();
    expect(calls.length).toBeGreaterThan(3);
    expect(calls[0].update).toBe(false);
    expect(calls.slice(1).every((c) => c.update === true)).toBe(true);
    expect(new Set(calls.map((c) => c.displayId)).size).toBe(1);
    const last = String(calls.at(-1)!.bundle['text/markdown']);
    expect(last).toMatch(/\| epoch \| loss \| val loss \| val acc \| samples\/s \|/);
    expect(last.match(/^\| \d+ \|/gm)).toHaveLength(3);
  });
});
