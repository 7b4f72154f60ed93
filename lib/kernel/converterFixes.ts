import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/*
 * tslab's converter (1.0.x) rewrites a name declared in an earlier cell to `exports.name` —
 * except in a shorthand property: `{ artifacts }` in cell 5 for a `let artifacts` of cell 1
 * compiles to `{ artifacts }` and throws "artifacts is not defined" (TypeScript's checker
 * gives a shorthand name the property's symbol, not the variable's). Its visitor is taught
 * the shorthand form here, in the converter's own source before it is first loaded.
 */

const ANCHOR = 'function wrapPrevIdentifier(node) {\n            var _a, _b;\n';
const SHORTHAND = `
            if (ts.isShorthandPropertyAssignment(node) && !node.objectAssignmentInitializer) {
                const value = checker.getShorthandAssignmentValueSymbol(node);
                if ((value?.declarations ?? []).some((d) => d.getSourceFile() === declsFile)) {
                    return ts.factory.createPropertyAssignment(node.name.text, ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier("exports"), node.name.text));
                }
                return node;
            }
`;

/** Load tslab's converter with the shorthand fix into Node's module cache; false (and the stock converter) when its source is not the one the fix was written for. */
export function loadFixedConverter(converterPath: string): boolean {
  const source = readFileSync(converterPath, 'utf8');
  if (!source.includes(ANCHOR)) {
    require(converterPath);
    return false;
  }
  const mod = new Module(converterPath, module) as Module & { _compile: (code: string, filename: string) => void; paths: string[]; filename: string; loaded: boolean };
  mod.filename = converterPath;
  mod.paths = (Module as unknown as { _nodeModulePaths: (dir: string) => string[] })._nodeModulePaths(dirname(converterPath));
  mod._compile(source.replace(ANCHOR, ANCHOR + SHORTHAND), converterPath);
  mod.loaded = true;
  require.cache[converterPath] = mod;
  return true;
}
