import type { GateSpec } from './spec';

/** Gates in dependency order (each after everything it requires); a cycle is an error naming it. */
export function inDependencyOrder<G extends GateSpec>(gates: readonly G[]): G[] {
  const byId = new Map(gates.map((g) => [g.id, g]));
  const done = new Set<string>();
  const order: G[] = [];
  const visit = (g: G, path: string[]) => {
    if (done.has(g.id)) return;
    if (path.includes(g.id)) throw new Error(`gate requirements form a cycle: ${[...path, g.id].join(' → ')}`);
    for (const r of g.requires) {
      const req = byId.get(r);
      if (req) visit(req, [...path, g.id]);
    }
    done.add(g.id);
    order.push(g);
  };
  for (const g of gates) visit(g, []);
  return order;
}

/** Every gate a declaration names (requires, onFail, skipOnPass, refs) exists in `gates`; else the first missing one, by where it is named. */
export function danglingReference(gates: readonly GateSpec[]): string | null {
  const ids = new Set(gates.map((g) => g.id));
  for (const g of gates) {
    const named = [
      ...g.requires.map((r) => ['requires', r]), ...(g.onFail ?? []).map((r) => ['onFail', r]), ...(g.skipOnPass ?? []).map((r) => ['skipOnPass', r]),
      ...g.checks.filter((c) => c.ref).map((c) => [`check ${c.metric}`, c.ref!.gate]),
    ];
    const missing = named.find(([, id]) => !ids.has(id));
    if (missing) return `gate ${g.id}: ${missing[0]} names ${missing[1]}, which is not a gate`;
  }
  return null;
}
