import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The layers of lib/, lowest first: a folder may import only folders below it (docs/ARCHITECTURE.md).
 * A new folder must be placed here before it can be imported at all.
 */
export const LAYERS = [
  'util', 'storage', 'data', 'features', 'split', 'tensors', 'backend', 'ops', 'train', 'models', 'eval', 'gates', 'runbooks',
  'pipeline', 'experiments', 'remote', 'sweeps', 'kernel', 'plots', 'notebook', 'runner', 'reports', 'cli',
] as const;

/** Folders whose files register themselves (a registry is complete only through the folder's index). */
export const INDEX_ONLY = ['models'];

export type ImportGraph = Map<string, string[]>;

/** Every lib/ file and the lib/ files it imports (type-only imports included), as paths relative to the repo. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  for (const file of files(join(root, 'lib'))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.')).map((s) => resolveModule(resolve(dirname(file), s)));
    graph.set(relative(root, file), targets.map((t) => relative(root, t)));
  }
  return graph;
}

function resolveModule(path: string): string {
  for (const candidate of [`${path}.ts`, join(path, 'index.ts')]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch { /* next */ }
  }
  return `${path}.ts`;
}

/** The folder of a lib file ('' for lib/index.ts). */
const folderOf = (file: string) => (file.split('/').length > 2 ? file.split('/')[1] : '');

/** Imports that run up the layers (or into a folder no layer names), and imports past a registry's index. */
export function layerViolations(graph: ImportGraph): string[] {
  const rank = (folder: string) => (folder === '' ? LAYERS.length : (LAYERS as readonly string[]).indexOf(folder));
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (rank(from) < 0) problems.push(`${file}: folder lib/${from} is in no layer (add it to LAYERS and docs/ARCHITECTURE.md)`);
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      if (rank(to) < 0 || rank(to) > rank(from)) problems.push(`${file} imports ${target}: lib/${from || 'index.ts'} must not import lib/${to}, a layer above it`);
      if (INDEX_ONLY.includes(to) && !target.endsWith(`lib/${to}/index.ts`)) problems.push(`${file} imports ${target}: outside lib/${to}, import lib/${to}/index.ts (its families register themselves there)`);
    }
  }
  return problems;
}

/** Files that import each other in a loop (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function importCycles(graph: ImportGraph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}
