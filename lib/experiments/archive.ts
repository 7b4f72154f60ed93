import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readAnchor, writeAnchor, anchorPathOf } from '../gates/anchor';
import { verifyLedger } from '../gates/ledger';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import { ARCHIVE, listExperiments, type Experiment } from './experiment';
import { experimentStatus, type ExperimentStatus, type StatusThresholds, DEFAULT_THRESHOLDS } from './status';

export const ARCHIVABLE = ['success', 'failed', 'stale'] as const;

export interface ArchivePlan {
  exp: Experiment;
  status: ExperimentStatus;
  why: string;
  to: string;
  /** what goes along (relative to the experiment folder) */
  keeps: string[];
}

/** What `exp archive` would move: experiments with the status asked (`all`: success, failed and stale — never active or idle). */
export function planArchive(o: { status: (typeof ARCHIVABLE)[number] | 'all'; root?: string; keepCheckpoints?: boolean; thresholds?: StatusThresholds; now?: Date }): ArchivePlan[] {
  const root = o.root ?? '.';
  const wanted = new Set<string>(o.status === 'all' ? ARCHIVABLE : [o.status]);
  return listExperiments(root).flatMap((exp) => {
    const s = experimentStatus(exp, o.thresholds ?? DEFAULT_THRESHOLDS, o.now);
    if (!wanted.has(s.status)) return [];
    const keeps = ['config.yaml', 'notes.md', 'metadata.json', 'runbooks', 'artifacts/gates.jsonl', 'artifacts/reports', ...(o.keepCheckpoints ? ['artifacts/models'] : [])]
      .filter((p) => existsSync(join(exp.dir, p)));
    return [{ exp, status: s.status, why: s.why, to: join(root, ARCHIVE, exp.id), keeps }];
  });
}

/**
 * Move each planned experiment to `experiments-archive/<id>/`: its config, notes, metadata
 * (with when, and the status it had), runbooks, ledger and reports — checkpoints only when
 * asked — then remove it from `experiments/`. The ledger's anchor moves with it. Each move
 * is staged in a temporary folder and renamed: an experiment is either archived whole or left as it was.
 */
export function archiveExperiments(plans: ArchivePlan[], now = new Date()): void {
  for (const p of plans) {
    if (existsSync(p.to)) throw new InputError(`${p.to} exists already: an experiment ${p.exp.id} was archived before; move that one aside first`);
  }
  for (const p of plans) {
    const staging = `${p.to}.new-${process.pid}`;
    mkdirSync(staging, { recursive: true });
    try {
      for (const rel of p.keeps) cpSync(join(p.exp.dir, rel), join(staging, rel), { recursive: true });
      writeFileAtomic(join(staging, 'metadata.json'), JSON.stringify({ ...p.exp.metadata, archived: { at: now.toISOString(), status: p.status, why: p.why } }, null, 2) + '\n');
      const hasLedger = existsSync(join(staging, 'artifacts', 'gates.jsonl'));
      renameSync(staging, p.to);
      moveAnchor(p.exp.ledgerPath, join(p.to, 'artifacts', 'gates.jsonl'), hasLedger);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    rmSync(p.exp.dir, { recursive: true, force: true });
  }
}

/** The archived ledger keeps its anchor (at its new path); the old path's is removed, so a new experiment of that id starts clean. */
function moveAnchor(from: string, to: string, hasLedger: boolean): void {
  const anchor = readAnchor(from);
  if (anchor && hasLedger) {
    const state = verifyLedger(to, { anchorFile: null });
    writeAnchor(to, state.records.length, state.records.at(-1)?.hash ?? anchor.head);
  }
  rmSync(anchorPathOf(from), { force: true });
}
