import { randomUUID } from 'node:crypto';
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

/** True inside the gatebook kernel (displays reach a notebook), false in a plain Node process. */
export function inKernel(): boolean {
  return Boolean((globalThis as Record<symbol, unknown>)[HOOK]);
}

/** A richer bundle that takes time to make (a figure's PNG); null when the value is not one of its kind. */
export type RichBundler = (value: unknown) => Promise<MimeBundle> | null;

const BUNDLERS = Symbol.for('gatebook.kernel.bundlers');
const PENDING = Symbol.for('gatebook.kernel.pending');
const registry = () => ((globalThis as Record<symbol, unknown>)[BUNDLERS] ??= []) as RichBundler[];
const pending = () => ((globalThis as Record<symbol, unknown>)[PENDING] ??= new Set()) as Set<Promise<void>>;

/** Layers above the kernel (plots) register how to render their values fully. */
export function registerRichBundler(bundler: RichBundler): void {
  registry().push(bundler);
}

/** The first registered bundler's rich bundle of a value (its work started), or null when none renders it. */
function richFor(value: unknown): Promise<MimeBundle> | null {
  for (const bundler of registry()) {
    const rich = bundler(value);
    if (rich) return rich;
  }
  return null;
}

/** The fullest bundle of a value: a registered rich one (a figure with its PNG), else `mimeBundle`. */
export async function richBundle(value: unknown): Promise<MimeBundle> {
  return richFor(value) ?? mimeBundle(value);
}

/** Wait for the rich outputs still being made (the kernel does before it says a cell is done). */
export async function settleDisplays(): Promise<void> {
  while (pending().size) await Promise.all([...pending()]);
}

/**
 * Show a value in the notebook as one output with every representation gatebook has for
 * it (a figure: plotly JSON object + PNG; a table: HTML + markdown + text). A figure is
 * shown at once and completed in place when its PNG is ready (the cell ends after it). With
 * `displayId`, later calls with `update: true` replace it in place (live progress). Outside
 * a kernel it prints the plain-text form.
 */
export function display(value: unknown, options: { displayId?: string; update?: boolean } = {}): void {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK] as KernelHook | undefined;
  const bundle = mimeBundle(value);
  if (!hook) {
    process.stdout.write(`${String(bundle['text/plain'])}\n`);
    return;
  }
  const rich = richFor(value);
  if (!rich) {
    hook.display(bundle, options);
    return;
  }
  const displayId = options.displayId ?? randomUUID();
  hook.display(bundle, { ...options, displayId });
  const done: Promise<void> = rich.then((full) => hook.display(full, { displayId, update: true }), () => {}).finally(() => pending().delete(done));
  pending().add(done);
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

/** A column of epoch milliseconds that tables show as ISO time: named like one, every shown value in 1990…2100. */
const TIME_COLUMN = /^(timestamp|time|date|datetime|ts|open_time|close_time)$/i;
const isEpochMs = (x: unknown) => (typeof x === 'number' || typeof x === 'bigint') && Number(x) >= 631_152_000_000 && Number(x) <= 4_102_444_800_000;

const escape = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function frameBundle(df: Frame): MimeBundle {
  const rows = df.head(20).toRecords();
  const times = new Set(df.columns.filter((c) => TIME_COLUMN.test(c) && rows.every((r) => isEpochMs(r[c]))));
  const cell = (x: unknown, column: string) =>
    x instanceof Date ? x.toISOString() : times.has(column) ? new Date(Number(x)).toISOString() : typeof x === 'number' && !Number.isInteger(x) ? x.toPrecision(6) : String(x);
  const html = `<table><thead><tr>${df.columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${df.columns.map((c) => `<td>${escape(cell(r[c], c))}</td>`).join('')}</tr>`).join('') +
    `</tbody></table><p>${df.height} rows × ${df.width} columns${df.height > 20 ? ' (first 20 shown)' : ''}</p>`;
  const markdown = [`| ${df.columns.join(' | ')} |`, `|${df.columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${df.columns.map((c) => cell(r[c], c).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
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
  symbol?: string;
  status: string;
  finished: string;
  hash: string;
  metrics: Record<string, number | null>;
}

function isGateRecord(v: unknown): v is GateLike {
  return Boolean(v && typeof v === 'object' && 'gate' in v && 'status' in v && 'hash' in v && 'metrics' in v);
}

function gateBundle(records: GateLike[]): MimeBundle {
  const name = (r: GateLike) => (r.symbol === undefined ? r.gate : `${r.gate} · ${r.symbol}`); // a gate's record of one symbol
  const rows = records.map((r) => `| ${name(r)} | ${r.status} | ${r.finished} | ${r.hash.slice(0, 10)} |`);
  const markdown = ['| gate | status | finished | record |', '|---|---|---|---|', ...rows].join('\n');
  return { 'text/markdown': markdown, 'text/plain': records.map((r) => `${name(r)}: ${r.status} (${r.finished})`).join('\n') };
}
