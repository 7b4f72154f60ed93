import { isDeepStrictEqual } from 'node:util';

/** Dotted-path changes to a nested object: `{ 'model.params.dropout': 0.35 }`. */
export type Changes = Record<string, unknown>;

/** The value at a dotted path (undefined when a step is missing). */
export function valueAt(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A copy of `value` with the changes applied (missing objects on the way are created). */
export function withChanges<T extends object>(value: T, changes: Changes): T {
  const out = structuredClone(value) as Record<string, unknown>;
  for (const [path, v] of Object.entries(changes)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = v;
  }
  return out as T;
}

/** The changes that would alter `value` (a change to the value already there is dropped). */
export function effectiveChanges(value: unknown, changes: Changes): Changes {
  return Object.fromEntries(Object.entries(changes).filter(([path, v]) => !isDeepStrictEqual(valueAt(value, path), v)));
}
