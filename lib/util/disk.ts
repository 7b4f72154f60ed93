import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DiskFullError } from './errors';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** Bytes free to this user on the filesystem that holds `path` (or its nearest existing parent). */
export function freeBytes(path: string): number | null {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(p) === p) return null;
    }
  }
}

/** A write error that means "the disk is full" as a DiskFullError naming the file and the free space; anything else as it is. */
export function writeError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (!code || !FULL.has(code)) return error;
  const free = freeBytes(dirname(file));
  const said = code === 'EFBIG' ? 'the file-size limit was reached' : code === 'EDQUOT' ? 'the disk quota is exhausted' : 'no space left on the device';
  return new DiskFullError(`${file}: ${said} (${free === null ? 'free space unknown' : `${formatBytes(free)} free`} there); nothing was half-written. Free some space, or write artifacts elsewhere (--artifacts).`);
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : `${(n / 1024).toFixed(0)} KB`;
}
