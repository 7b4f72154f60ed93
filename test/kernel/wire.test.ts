import { createHmac } from 'node:crypto';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { mimeBundle } from '../../lib/kernel/display';
import { History } from '../../lib/kernel/history';
import { DELIMITER, parseMessage, reply, serialize } from '../../lib/kernel/wire';

describe('wire format', () => {
  it('signs the four JSON frames with HMAC-SHA256 and refuses a wrong signature', () => {
    const msg = reply(null, 'execute_request', { code: '1' }, 'session-1');
    const frames = serialize(msg, 'secret', [Buffer.from('client-id')]).map((f) => Buffer.from(f));
    expect(frames[1].toString()).toBe(DELIMITER);
    const expected = createHmac('sha256', 'secret').update(frames[3]).update(frames[4]).update(frames[5]).update(frames[6]).digest('hex');
    expect(frames[2].toString()).toBe(expected);
    const ok = parseMessage(frames, 'secret');
    expect('message' in ok && ok.message.content).toEqual({ code: '1' });
    expect('message' in ok && ok.message.identities[0].toString()).toBe('client-id');
    expect(parseMessage(frames, 'other-key')).toEqual({ error: 'bad HMAC signature' });
    const tampered = frames.map((f, i) => (i === 6 ? Buffer.from('{"code":"2"}') : f));
    expect(parseMessage(tampered, 'secret')).toEqual({ error: 'bad HMAC signature' });
    expect(parseMessage([Buffer.from('x')], 'secret')).toMatchObject({ error: expect.stringContaining('malformed') });
  });
});

describe('rich representations', () => {
  it('a DataFrame as an HTML table and text; a figure as a plotly object; gate records as a table', () => {
    const df = mimeBundle(pl.DataFrame({ a: [1, 2], b: ['x', '<y>'] }));
    expect(Object.keys(df).sort()).toEqual(['text/html', 'text/markdown', 'text/plain']);
    expect(df['text/markdown']).toBe('| a | b |\n|---|---|\n| 1 | x |\n| 2 | <y> |');
    expect(df['text/html']).toContain('<th>a</th>');
    expect(df['text/html']).toContain('&lt;y&gt;');
    const fig = mimeBundle({ data: [{ y: [1, 2] }], layout: { title: { text: 'T' } } });
    expect(fig['application/vnd.plotly.v1+json']).toEqual({ data: [{ y: [1, 2] }], layout: { title: { text: 'T' } }, config: {} });
    expect(typeof fig['application/vnd.plotly.v1+json']).toBe('object'); // an object payload, not a string
    const gate = mimeBundle([{ gate: 'data', status: 'pass', finished: 't', hash: 'a'.repeat(64), metrics: {} }]);
    expect(gate['text/markdown']).toContain('| data | pass | t | aaaaaaaaaa |');
    expect(mimeBundle(42)).toEqual({ 'text/plain': '42' });
  });
});

describe('history', () => {
  it('answers tail, range and search (glob, unique, n)', () => {
    const h = new History(1);
    ['a = 1', 'b = 2', 'a = 1', 'c = 3'].forEach((code, i) => h.add(i + 1, code, null));
    expect(h.query({ hist_access_type: 'tail', n: 2 })).toEqual([[1, 3, 'a = 1'], [1, 4, 'c = 3']]);
    expect(h.query({ hist_access_type: 'range', start: 2, stop: 3 })).toEqual([[1, 2, 'b = 2']]);
    expect(h.query({ hist_access_type: 'search', pattern: 'a*', unique: true })).toEqual([[1, 1, 'a = 1']]);
    expect(h.query({ hist_access_type: 'tail', n: 1, output: true })).toEqual([[1, 4, ['c = 3', null]]]);
  });
});
