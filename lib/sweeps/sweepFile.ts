import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { configIssues } from '../pipeline';
import { InputError } from '../util/errors';
import { readYamlFile } from '../util/yamlFile';
import { WORKFLOWS } from '../pipeline/workflows';

/**
 * A sweep file (YAML): a base config and axes — dotted config keys with the values to try —
 * whose grid is the tasks, and how to run them on each executor. Relative paths are relative
 * to the sweep file.
 */
const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, - and _ (no path separators, no leading dot)');
const Scalar = z.union([z.number(), z.string(), z.boolean()]);

export const SweepFile = z.object({
  name: Name,
  /** The base experiment config (a YAML file); omitted: the embedded default. */
  base: z.string().optional(),
  /** `model.params.units: [32, 64, 128]`: every combination of the axes is a task. */
  axes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'a dotted config key'), z.array(Scalar).min(1)).refine((a) => Object.keys(a).length > 0, 'at least one axis'),
  /** What each task runs: the pipeline's workflow, up to this gate. */
  workflow: z.string().refine((w) => w in WORKFLOWS, { message: `a workflow: ${Object.keys(WORKFLOWS).join(', ')}` }).default('phases'),
  to: z.string().optional(),
  /** The metric `sweep best` and the leaderboard rank by (highest first unless `minimize`). */
  metric: z.string().default('val_accuracy'),
  minimize: z.boolean().default(false),
  local: z.object({ parallel: z.number().int().positive().optional(), threadsPerTask: z.number().int().positive().default(1) }).strict().default({}),
  slurm: z.object({
    partition: z.string().optional(),
    time: z.string().default('01:00:00'),
    cpus: z.number().int().positive().default(1),
    gpus: z.number().int().nonnegative().default(0),
    mem: z.string().optional(),
    /** At most this many array tasks at once (`%K`); omitted: SLURM's limit. */
    parallel: z.number().int().positive().optional(),
    account: z.string().optional(),
    /** Submit on this login node over SSH (the project synced to `workdir` there, which the nodes must see) instead of here. */
    login: z.string().optional(),
    workdir: z.string().default('gatebook'),
    install: z.enum(['auto', 'always', 'never']).default('auto'),
  }).strict().default({}),
  /** The `ssh` executor: boxes by `gatebook remote` (a host, or a host with its own workdir), one task at a time on each. */
  ssh: z.object({
    hosts: z.array(z.union([z.string(), z.object({ host: z.string(), workdir: z.string().optional() }).strict()])).default([]),
    workdir: z.string().default('/workspace/gatebook'),
    install: z.enum(['auto', 'always', 'never']).default('auto'),
  }).strict().default({}),
}).strict();
export type SweepFile = z.infer<typeof SweepFile>;

export interface LoadedSweep { file: string; sweep: SweepFile; base: string | null }

export function loadSweepFile(path: string): LoadedSweep {
  const parsed = SweepFile.safeParse(readYamlFile(path, 'sweep file'));
  if (!parsed.success) throw new InputError(`${path} is not a valid sweep file:\n${configIssues(parsed.error).join('\n')}`);
  const base = parsed.data.base ? resolve(dirname(path), parsed.data.base) : null;
  if (base && !existsSync(base)) throw new InputError(`${path}: base ${parsed.data.base}: no such config file (relative to the sweep file)`);
  return { file: resolve(path), sweep: parsed.data, base };
}
