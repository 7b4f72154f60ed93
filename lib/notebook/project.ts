import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Make the project the working directory (the nearest folder up from here with runbooks/
 * and package.json), so a notebook in notebooks/ reads and writes the same artifacts, ledger
 * and runbooks as the CLI. Safe to run twice.
 */
export function enterProject(from = process.cwd()): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'runbooks')) && existsSync(join(dir, 'package.json'))) {
      process.chdir(dir);
      return dir;
    }
    if (dirname(dir) === dir) return process.cwd();
  }
}
