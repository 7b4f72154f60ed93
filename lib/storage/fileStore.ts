import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import type { ArtifactStore, StoredObject } from './store';

/** A local (or mounted) folder as an artifact store. */
export function fileStore(root: string): ArtifactStore {
  const abs = resolve(root);
  const path = (key: string) => {
    const p = resolve(abs, key);
    if (!p.startsWith(abs + '/') && p !== abs) throw new InputError(`${key}: a key outside the store ${abs}`);
    return p;
  };
  const walk = (dir: string): StoredObject[] => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [])
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [{ key: relative(abs, join(dir, e.name)), size: statSync(join(dir, e.name)).size }] : []));
  return {
    where: abs,
    async read(key) {
      if (!existsSync(path(key))) throw new InputError(`${path(key)}: no such object in ${abs}`);
      return readFileSync(path(key));
    },
    async readIfExists(key) {
      return existsSync(path(key)) ? readFileSync(path(key)) : null;
    },
    async download(key, file) {
      if (!existsSync(path(key))) throw new InputError(`${path(key)}: no such object in ${abs}`);
      copyFileSync(path(key), file);
    },
    async upload(key, file) {
      mkdirSync(dirname(path(key)), { recursive: true });
      writeFileAtomic(path(key), readFileSync(file));
    },
    async write(key, bytes) {
      mkdirSync(dirname(path(key)), { recursive: true });
      writeFileAtomic(path(key), typeof bytes === 'string' ? bytes : new Uint8Array(bytes));
    },
    async list() {
      return walk(abs);
    },
    async stat(key) {
      return existsSync(path(key)) ? { size: statSync(path(key)).size } : null;
    },
  };
}
