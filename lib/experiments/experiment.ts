import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { workflowGates, workflowSteps } from '../pipeline/workflows';
import { loadConfig, parseConfig } from '../pipeline/configFile';
import { configSha256 } from '../pipeline/config';
import { writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/errors';
import { packageRoot } from '../util/packageRoot';

/**
 * An experiment is a folder `experiments/YYYY-MM-DD-<name>/`: `config.yaml` (an experiment
 * config), `notes.md` (hypothesis, changes, results), `metadata.json` (created, workflow,
 * lineage, promotions), `runbooks/` (its own copies of the workflow's runbooks: manual
 * items are signed per experiment) and `artifacts/` with its own ledger. Its status is read
 * from that ledger (status.ts), never from words in the notes.
 */
export const EXPERIMENTS = 'experiments';
export const ARCHIVE = 'experiments-archive';

export const Metadata = z.object({
  id: z.string(),
  name: z.string(),
  created: z.string(),
  workflow: z.string(),
  /** where the config came from: the embedded default, a config file, or another experiment */
  from: z.object({ kind: z.enum(['default', 'config', 'experiment']), ref: z.string().nullable(), config_sha256: z.string() }),
  /** the experiments this one descends from, oldest first */
  lineage: z.array(z.string()),
  archived: z.object({ at: z.string(), status: z.string(), why: z.string() }).optional(),
}).passthrough();
export type Metadata = z.infer<typeof Metadata>;

export interface Experiment {
  id: string;
  dir: string;
  configPath: string;
  notesPath: string;
  metadataPath: string;
  runbooksDir: string;
  artifactsDir: string;
  ledgerPath: string;
  metadata: Metadata;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A valid experiment name (letters, digits, - and _, no path separators, no `..`, no leading dot), or an error saying why not. */
export function validName(name: string): string {
  if (name.includes('/') || name.includes('\\')) throw new InputError(`invalid experiment name ${JSON.stringify(name)}: no path separators (it becomes one folder under ${EXPERIMENTS}/)`);
  if (name.includes('..')) throw new InputError(`invalid experiment name ${JSON.stringify(name)}: no '..'`);
  if (name.startsWith('.')) throw new InputError(`invalid experiment name ${JSON.stringify(name)}: no leading dot`);
  if (!NAME.test(name)) throw new InputError(`invalid experiment name ${JSON.stringify(name)}: use 1–64 letters, digits, '-' or '_', starting with a letter or digit`);
  return name;
}

/** The folder of an experiment under `root`. */
export function experimentAt(dir: string): Experiment {
  const metadataPath = join(dir, 'metadata.json');
  if (!existsSync(metadataPath)) throw new InputError(`${dir} is not an experiment: it has no metadata.json (make one with \`gatebook exp new <name>\`)`);
  let metadata: Metadata;
  try {
    metadata = Metadata.parse(JSON.parse(readFileSync(metadataPath, 'utf8')));
  } catch (error) {
    throw new InputError(`${metadataPath}: not an experiment's metadata (${error instanceof z.ZodError ? `${error.issues[0].path.join('.')}: ${error.issues[0].message}` : (error as Error).message})`);
  }
  const artifactsDir = join(dir, 'artifacts');
  return {
    id: basename(dir), dir, configPath: join(dir, 'config.yaml'), notesPath: join(dir, 'notes.md'), metadataPath,
    runbooksDir: join(dir, 'runbooks'), artifactsDir, ledgerPath: join(artifactsDir, 'gates.jsonl'), metadata,
  };
}

/** Every experiment under `root/experiments` (or the archive), oldest first. */
export function listExperiments(root = '.', where: typeof EXPERIMENTS | typeof ARCHIVE = EXPERIMENTS): Experiment[] {
  const base = join(root, where);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(base, e.name, 'metadata.json')))
    .map((e) => experimentAt(join(base, e.name)))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The experiment a user names: its folder, its id (`2026-11-28-demo`) or its bare name
 * (`demo`, when one experiment has it); an unknown or ambiguous name is an error listing
 * what there is.
 */
export function findExperiment(ref: string, root = '.'): Experiment {
  if (existsSync(join(ref, 'metadata.json'))) return experimentAt(ref);
  if (ref.includes('/') || ref.includes('..')) throw new InputError(`no experiment at ${ref} (no metadata.json there)`);
  const all = listExperiments(root);
  const exact = all.find((e) => e.id === ref);
  if (exact) return exact;
  const named = all.filter((e) => e.metadata.name === ref);
  if (named.length === 1) return named[0];
  const known = all.map((e) => e.id).join(', ') || 'none yet';
  if (named.length > 1) throw new InputError(`experiment name ${ref} is ambiguous: ${named.map((e) => e.id).join(', ')} — name one by its id`);
  throw new InputError(`no experiment ${ref} in ${join(root, EXPERIMENTS)}/ (experiments: ${known})`);
}

export interface NewExperiment {
  name: string;
  /** a config file, or an experiment (folder, id or name); default: the embedded default (the three-symbol option for a workflow over several symbols) */
  from?: string;
  workflow?: string;
  root?: string;
  now?: Date;
}

/**
 * Make `experiments/YYYY-MM-DD-<name>/`: the config (copied, its `name` set to the id), a
 * notes template, metadata with lineage, and the workflow's runbooks. Everything is
 * written in a temporary folder renamed into place: a bad name, a bad `--from`, or an
 * existing experiment leaves nothing behind.
 */
export function newExperiment(o: NewExperiment): Experiment {
  const name = validName(o.name);
  const root = o.root ?? '.';
  const now = o.now ?? new Date();
  const id = `${now.toISOString().slice(0, 10)}-${name}`;
  const dir = join(root, EXPERIMENTS, id);
  if (existsSync(dir)) throw new InputError(`experiment ${id} exists already (${dir}): pick another name`);
  if (o.workflow) workflowSteps(o.workflow); // an unknown workflow is refused before anything is written
  const source = sourceOf(o.from, root, o.workflow);
  const workflow = o.workflow ?? source.workflow ?? 'phases';
  const doc = parseDocument(source.yaml);
  if (doc.errors.length) throw new InputError(`${source.ref}: not valid YAML: ${doc.errors[0].message}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  doc.set('name', id);
  const yaml = doc.toString();
  const config = parseConfig(doc.toJS(), `${source.ref ?? 'the embedded default'} (as ${id})`);
  const metadata: Metadata = {
    id, name, created: now.toISOString(), workflow,
    from: { kind: source.kind, ref: source.ref, config_sha256: configSha256(config) },
    lineage: source.lineage,
  };
  const staging = `${dir}.new-${process.pid}`;
  mkdirSync(join(staging, 'runbooks'), { recursive: true });
  try {
    writeFileAtomic(join(staging, 'config.yaml'), yaml);
    writeFileAtomic(join(staging, 'notes.md'), notesTemplate(id, source));
    writeFileAtomic(join(staging, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
    for (const runbook of workflowRunbooks(workflow)) copyFileSync(join(packageRoot(), runbook), join(staging, 'runbooks', basename(runbook)));
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return experimentAt(dir);
}

/** The runbooks of a workflow's gates (`runbooks/<phase>.md`), in order. */
export function workflowRunbooks(workflow: string): string[] {
  return [...new Set(workflowGates(workflow).map((g) => g.runbook))];
}

interface Source {
  kind: Metadata['from']['kind'];
  ref: string | null;
  yaml: string;
  lineage: string[];
  workflow?: string;
  /** what a default start is, for the notes */
  said?: string;
}

function sourceOf(from: string | undefined, root: string, workflow?: string): Source {
  // a workflow over several symbols starts from the embedded three-symbol option, the others from the embedded default
  if (!from && workflow && workflowGates(workflow).some((g) => g.symbolChecks)) {
    return { kind: 'default', ref: null, yaml: '# The embedded three-symbol option; add keys to change it (docs/symbols.md, docs/experiments.md).\ndata: { source: embedded, variant: three-symbol }\n', lineage: [], said: 'the embedded three-symbol option' };
  }
  if (!from) return { kind: 'default', ref: null, yaml: '# The embedded default config; add keys to change it (docs/experiments.md, docs/cli.md).\n{}\n', lineage: [] };
  if (existsSync(from) && !existsSync(join(from, 'metadata.json'))) {
    loadConfig(from); // refused here, naming the bad key, before anything is written
    return { kind: 'config', ref: resolve(from), yaml: readFileSync(from, 'utf8'), lineage: [] };
  }
  const parent = findExperiment(from, root);
  return { kind: 'experiment', ref: parent.id, yaml: readFileSync(parent.configPath, 'utf8'), lineage: [...parent.metadata.lineage, parent.id], workflow: parent.metadata.workflow };
}

function notesTemplate(id: string, source: Source): string {
  const from = source.kind === 'default' ? (source.said ?? 'the embedded default config') : source.kind === 'config' ? `config ${source.ref}` : `experiment ${source.ref}`;
  return `# ${id}

Started from ${from}.

## Hypothesis
What this experiment tests, and why it should work.

## Changes
- (the config keys changed from the starting point: \`gatebook exp diff ${source.kind === 'experiment' ? source.ref : '<other>'} ${id}\`)

## Results
(after \`gatebook exp run ${id}\`: the gate table, and what it means; the status comes from the ledger, not from this file)
`;
}
