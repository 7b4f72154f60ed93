import { resolve } from 'node:path';

/** The package's root (where package.json, data/, notebooks/ and runbooks/ live), from dist/ or lib/. */
export function packageRoot(): string {
  return resolve(__dirname, '..', '..');
}
