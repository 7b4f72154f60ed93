import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configWith } from '../pipeline';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import { canonicalJson, sha256 } from '../util/hash';
import type { LoadedSweep, SweepFile } from './sweepFile';

/**
 * A sweep's tasks: every combination of its axes, each with a stable id (a hash of its
 * overrides, so the same point of the grid is the same task in every plan), its config
 * (the base with the overrides, validated now — a bad value is named with its task before
 * anything runs) and its folder `artifacts/sweeps/<sweep>/<task>/`, where it writes its own
 * ledger and artifacts.
 */
export interface SweepTask { index: number; id: string; overrides: Record<string, unknown>; dir: string; config: string }
export interface SweepPlan { name: string; dir: string; file: string; sweep: SweepFile; base: string | null; tasks: SweepTask[] }

export const sweepDirOf = (name: string, artifacts = 'artifacts') => join(artifacts, 'sweeps', name);
export const taskId = (overrides: Record<string, unknown>) => sha256(canonicalJson(overrides)).slice(0, 10);

/** The grid of the axes, in the order they are written (the last axis varies fastest). */
export function grid(axes: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(axes).reduce<Record<string, unknown>[]>((points, [key, values]) => points.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))), [{}]);
}

/** Write the plan (plan.json and each task's config.yaml); a task config edited since it was planned is refused unless `force`. */
export function planSweep(loaded: LoadedSweep, o: { artifacts?: string; force?: boolean } = {}): SweepPlan {
  const dir = sweepDirOf(loaded.sweep.name, o.artifacts);
  const tasks = grid(loaded.sweep.axes).map((overrides, index) => {
    const id = taskId(overrides);
    return { index, id, overrides, dir: join(dir, id), config: join(dir, id, 'config.yaml') };
  });
  const texts = tasks.map((t) => {
    let config;
    try {
      config = configWith(loaded.base ?? '', { ...t.overrides, name: `${loaded.sweep.name}-${t.id}` });
    } catch (error) {
      throw new InputError(`task ${t.index} (${t.id}: ${JSON.stringify(t.overrides)}): ${(error as Error).message}`);
    }
    return stringify(config);
  });
  tasks.forEach((t, i) => {
    if (existsSync(t.config) && readFileSync(t.config, 'utf8') !== texts[i] && !o.force) {
      throw new InputError(`${t.config} differs from what this plan makes (edited, or the base config or sweep file changed): nothing written. Use a new sweep name, or --force to overwrite`);
    }
  });
  tasks.forEach((t, i) => {
    mkdirSync(t.dir, { recursive: true });
    if (!existsSync(t.config) || o.force) writeFileAtomic(t.config, texts[i]);
  });
  const plan: SweepPlan = { name: loaded.sweep.name, dir, file: loaded.file, sweep: loaded.sweep, base: loaded.base, tasks };
  writeFileAtomic(join(dir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');
  return plan;
}

/** The plan a sweep folder holds (written by `sweep plan` or `sweep run`). */
export function readPlan(dir: string): SweepPlan {
  const path = join(dir, 'plan.json');
  if (!existsSync(path)) throw new InputError(`${dir}: no plan.json — plan the sweep first (gatebook sweep plan <sweep.yaml>)`);
  return JSON.parse(readFileSync(path, 'utf8')) as SweepPlan;
}

/** What a task runs: the pipeline on its config, its folder as the artifacts folder (its own ledger there). */
export function taskArgs(plan: SweepPlan, task: SweepTask): string[] {
  return ['pipeline', '--workflow', plan.sweep.workflow, '--config', task.config, '--artifacts', task.dir, ...(plan.sweep.to ? ['--to', plan.sweep.to] : [])];
}
