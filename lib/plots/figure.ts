import { InputError } from '../util/errors';

/** A plotly figure spec: plain data, no functions; builders return these. */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Normalize an enumerated option: `invalid <name>: <value>` with the allowed values. */
export function keyword<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const v = value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`invalid ${name}: ${value} (expected ${allowed.join(', ')})`);
  return v as T;
}

/** The layout every gatebook figure starts from: a title, readable margins, a white template. */
export function baseLayout(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: { text: title }, template: 'plotly_white', margin: { l: 60, r: 30, t: 60, b: 50 }, width: 900, height: 500, ...extra };
}

export const iso = (t: number) => new Date(t).toISOString();
