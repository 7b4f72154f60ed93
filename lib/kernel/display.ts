import { inspect } from 'node:util';

/** A MIME bundle: one output that carries several representations; each frontend picks the richest it knows. */
export type MimeBundle = Record<string, unknown>;

interface KernelHook {
  display(bundle: MimeBundle, options: { displayId?: string; update?: boolean }): void;
}

const HOOK = Symbol.for('gatebook.kernel.display');

/** @internal the kernel installs itself here; outside a kernel, display prints text. */
export function installDisplayHook(hook: KernelHook | undefined): void {
  (globalThis as Record<symbol, unknown>)[HOOK] = hook;
}

/**
 * Show a value in the notebook as one output with every representation gatebook has for
 * it (a figure: plotly JSON object + HTML + PNG when one was rendered; a table: HTML +
 * markdown + text). With `displayId`, later calls with `update: true` replace it in place
 * (live progress). Outside a kernel it prints the plain-text form.
 */
export function display(value: unknown, options: { displayId?: string; update?: boolean } = {}): void {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK] as KernelHook | undefined;
  const bundle = mimeBundle(value);
  if (hook) hook.display(bundle, options);
  else process.stdout.write(`${String(bundle['text/plain'])}\n`);
}

export const show = display;

/** The representations of a value. */
export function mimeBundle(value: unknown): MimeBundle {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.toMimeBundle === 'function') return (v.toMimeBundle as () => MimeBundle)();
    if (isDataFrame(v)) return frameBundle(v as unknown as Frame);
    if (Array.isArray(v.data) && v.layout && typeof v.layout === 'object') return figureBundle(v);
    if (isGateRecord(v) || (Array.isArray(value) && value.length > 0 && value.every(isGateRecord))) return gateBundle(([] as unknown[]).concat(value) as GateLike[]);
  }
  return { 'text/plain': typeof value === 'string' ? value : inspect(value, { depth: 4, colors: false }) };
}

interface Frame {
  height: number;
  width: number;
  columns: string[];
  head(n: number): { toRecords(): Array<Record<string, unknown>> };
  toString(): string;
}

function isDataFrame(v: Record<string, unknown>): boolean {
  return typeof v.toRecords === 'function' && typeof v.head === 'function' && Array.isArray(v.columns);
}

const escape = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function frameBundle(df: Frame): MimeBundle {
  const rows = df.head(20).toRecords();
  const cell = (x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? x.toPrecision(6) : String(x));
  const html = `<table><thead><tr>${df.columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${df.columns.map((c) => `<td>${escape(cell(r[c]))}</td>`).join('')}</tr>`).join('') +
    `</tbody></table><p>${df.height} rows × ${df.width} columns${df.height > 20 ? ' (first 20 shown)' : ''}</p>`;
  const markdown = [`| ${df.columns.join(' | ')} |`, `|${df.columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${df.columns.map((c) => cell(r[c]).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
  return { 'text/html': html, 'text/markdown': markdown, 'text/plain': df.toString() };
}

function figureBundle(fig: Record<string, unknown>): MimeBundle {
  const bundle: MimeBundle = {
    'application/vnd.plotly.v1+json': { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
    'text/plain': `<plotly figure: ${(fig.data as unknown[]).length} trace(s)${(fig.layout as { title?: { text?: string } }).title?.text ? `, "${(fig.layout as { title: { text: string } }).title.text}"` : ''}>`,
  };
  if (typeof fig.png === 'string') bundle['image/png'] = fig.png;
  return bundle;
}

interface GateLike {
  gate: string;
  status: string;
  finished: string;
  hash: string;
  metrics: Record<string, number | null>;
}

function isGateRecord(v: unknown): v is GateLike {
  return Boolean(v && typeof v === 'object' && 'gate' in v && 'status' in v && 'hash' in v && 'metrics' in v);
}

function gateBundle(records: GateLike[]): MimeBundle {
  const rows = records.map((r) => `| ${r.gate} | ${r.status} | ${r.finished} | ${r.hash.slice(0, 10)} |`);
  const markdown = ['| gate | status | finished | record |', '|---|---|---|---|', ...rows].join('\n');
  return { 'text/markdown': markdown, 'text/plain': records.map((r) => `${r.gate}: ${r.status} (${r.finished})`).join('\n') };
}
