import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from './expression';
import type { Runbook } from './runbook';

/** The gates an expression reads. */
export function gatesIn(node: Node): string[] {
  switch (node.type) {
    case 'ref':
    case 'gateFn':
      return [node.gate];
    case 'mathFn':
      return node.args.flatMap(gatesIn);
    case 'unary':
      return gatesIn(node.arg);
    case 'binary':
      return [...gatesIn(node.left), ...gatesIn(node.right)];
    default:
      return [];
  }
}

/** Every gate a runbook's automatic items read, sorted, without repeats. */
export function gatesOfRunbook(runbook: Runbook): string[] {
  return [...new Set(runbook.items.flatMap((i) => (i.expression ? gatesIn(i.expression.node) : [])))].sort();
}

/** The runbook files of a folder, in name order. */
export function listRunbooks(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md').sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}
