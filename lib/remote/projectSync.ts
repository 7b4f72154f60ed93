import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { sha256FileSync } from '../util/hash';
import { shq, type SshSession } from './session';

/**
 * The project on the box, kept equal to this checkout by a sha256 manifest
 * (`<workdir>/.gatebook/sync.json`): what git tracks or would track (untracked files that
 * .gitignore does not exclude) plus `dist/` (the code built here, so the box runs exactly
 * it), never `node_modules`, `artifacts` or `.git`. Only files whose sha256 differs from the
 * box's manifest travel; files gone here are removed there; the manifest is written last,
 * so an interrupted sync is redone, not trusted.
 */
export const REMOTE_STATE = '.gatebook';
const NEVER = /^(node_modules|artifacts|\.git|\.gatebook|scratch|\.cache|\.device)(\/|$)/;

export type Manifest = Record<string, string>;

export function projectFiles(root: string): string[] {
  const listed = existsSync(join(root, '.git'))
    ? execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0').filter(Boolean)
    : walk(root, root);
  const built = existsSync(join(root, 'dist')) ? walk(root, join(root, 'dist')) : [];
  return [...new Set([...listed, ...built])].filter((f) => !NEVER.test(f) && existsSync(join(root, f)) && statSync(join(root, f)).isFile()).sort();
}

function walk(root: string, dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (NEVER.test(relative(root, path))) return [];
    return e.isDirectory() ? walk(root, path) : e.isFile() ? [relative(root, path)] : [];
  });
}

export function localManifest(root: string): Manifest {
  return Object.fromEntries(projectFiles(root).map((f) => [f, sha256FileSync(join(root, f))]));
}

export interface SyncResult { sent: string[]; removed: string[]; unchanged: number; lockSha256: string | null }

export async function syncProject(session: SshSession, root: string, workdir: string, log: (line: string) => void): Promise<SyncResult> {
  const here = localManifest(root);
  const manifestPath = `${workdir}/${REMOTE_STATE}/sync.json`;
  await session.run(`mkdir -p ${shq(`${workdir}/${REMOTE_STATE}`)}`, `creating ${workdir}`);
  const raw = await session.readFile(manifestPath);
  const there: Manifest = raw ? (JSON.parse(raw.toString('utf8')) as { files: Manifest }).files : {};
  const sent = Object.keys(here).filter((f) => there[f] !== here[f]);
  const removed = Object.keys(there).filter((f) => !(f in here));
  log(`sync: ${sent.length} file(s) to send, ${removed.length} to remove, ${Object.keys(here).length - sent.length} unchanged`);
  const dirs = [...new Set(sent.map((f) => dirname(f)).filter((d) => d !== '.'))];
  if (dirs.length) await session.run(`cd ${shq(workdir)} && mkdir -p ${dirs.map(shq).join(' ')}`, 'creating folders');
  await inParallel(sent, 8, (f) => session.upload(join(root, f), `${workdir}/${f}`));
  if (removed.length) await session.run(`cd ${shq(workdir)} && rm -f -- ${removed.map(shq).join(' ')}`, 'removing files deleted here');
  await session.run(`cat > ${shq(manifestPath)}`, 'writing the sync manifest', JSON.stringify({ files: here }) + '\n');
  return { sent, removed, unchanged: Object.keys(here).length - sent.length, lockSha256: here['package-lock.json'] ?? null };
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}
