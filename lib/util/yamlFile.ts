import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from './errors';

/** The value of a YAML (or JSON) file; a missing file or bad YAML is an InputError naming it (`what`: "config file", "sweep file"). */
export function readYamlFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new InputError(`${path}: no such ${what}`);
  try {
    return parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
}
