import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, layerViolations, LAYERS } from './layers';

const root = join(__dirname, '..', '..');
const graph = importGraph(root);

describe('the layers of lib/', () => {
  it('no folder imports one above it, registries are imported through their index', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('no file imports itself back through others (no import cycle)', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('every lib folder is placed in a layer', () => {
    const folders = new Set([...graph.keys()].map((f) => f.split('/')).filter((p) => p.length > 2).map((p) => p[1]));
    expect([...folders].filter((f) => !(LAYERS as readonly string[]).includes(f))).toEqual([]);
  });

  it('the check fails on a planted cycle, an upward import, and a family imported past its registry', () => {
    const planted = new Map(graph);
    planted.set('lib/util/hash.ts', [...graph.get('lib/util/hash.ts')!, 'lib/cli/main.ts']); // util → cli: up, and cli → … → util closes a loop
    planted.set('lib/pipeline/modelRun.ts', [...graph.get('lib/pipeline/modelRun.ts')!, 'lib/models/lstm.ts']);
    expect(layerViolations(planted).sort()).toEqual([
      'lib/pipeline/modelRun.ts imports lib/models/lstm.ts: outside lib/models, import lib/models/index.ts (its families register themselves there)',
      'lib/util/hash.ts imports lib/cli/main.ts: lib/util must not import lib/cli, a layer above it',
    ]);
    const cycles = importCycles(planted);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toEqual(expect.arrayContaining(['lib/util/hash.ts', 'lib/cli/main.ts']));
    const twoFiles = new Map([['lib/a/x.ts', ['lib/a/y.ts']], ['lib/a/y.ts', ['lib/a/x.ts']], ['lib/a/z.ts', ['lib/a/x.ts']]]);
    expect(importCycles(twoFiles)).toEqual([['lib/a/x.ts', 'lib/a/y.ts']]);
  });
});

describe('a gate declaration', () => {
  /** Type-check a gate file written here against the real lib/, and return the compiler's errors. */
  function compileGate(checks: string): string[] {
    const file = join(root, 'lib', 'pipeline', 'gates', '__typed_gate.ts');
    const source = `import { z } from 'zod';
import { defineGate } from '../gate';
export const g = defineGate({
  id: 'typed', phase: 'x', title: 't', requires: [], runbook: 'r.md', keyMetric: 'm',
  thresholds: z.object({ min_rows: z.number().default(1) }).strict(),
  checks: [${checks}],
  run: () => ({ metrics: {}, artifacts: [] }),
});
`;
    const options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, skipLibCheck: true, types: ['node'] };
    const host = ts.createCompilerHost(options);
    const read = host.readFile;
    host.readFile = (name) => (name === file ? source : read(name));
    const exists = host.fileExists;
    host.fileExists = (name) => name === file || exists(name);
    const program = ts.createProgram([file], options, host);
    return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  }

  it('names its thresholds as typed keys: a misspelt threshold does not compile', () => {
    expect(compileGate(`{ metric: 'rows', op: '>=', threshold: 'min_rows' }`)).toEqual([]);
    const errors = compileGate(`{ metric: 'rows', op: '>=', threshold: 'min_rowz' }`);
    expect(errors.join('\n')).toMatch(/"min_rowz"/);
  }, 60_000);
});
