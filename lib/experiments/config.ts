import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../util/errors';
import { SyntheticOptions } from '../data/synthetic';
import { LabelOptions } from '../features/label';
import { SplitOptions } from '../split/options';
import { GateThresholds } from '../gates/thresholds';
import { canonicalJson, sha256 } from '../util/hash';

const DataSource = z.discriminatedUnion('source', [
  z.object({ source: z.literal('embedded') }).strict(),
  z.object({ source: z.literal('synthetic'), generator: SyntheticOptions.default({}) }).strict(),
  z.object({
    source: z.literal('file'),
    path: z.string(),
    adjusted: z.boolean().default(false),
    mapping: z.record(z.string()).optional(),
  }).strict(),
]);

/** An experiment's config.yaml. Unknown keys are errors: a typo never silently falls back. */
export const ExperimentConfig = z
  .object({
    name: z.string().min(1).default('embedded-default'),
    seed: z.number().int().nonnegative().default(42),
    /** Force a TensorFlow.js backend (else GATEBOOK_BACKEND, else the best that loads). */
    backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional(),
    data: DataSource.default({ source: 'embedded' }),
    features: LabelOptions.extend({
      /** Rows of the causality check (features on data cut at t vs all of it). */
      causalityPoints: z.number().int().positive().default(20),
    }).strict().default({}),
    split: SplitOptions.default({}),
    gates: GateThresholds.default({}),
    /** The 5-phase decision tree: at most this many optimization iterations. */
    maxOptimizationIterations: z.number().int().min(1).max(10).default(3),
  })
  .strict();
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

/** Parse a config object, naming each bad key by its path. */
export function parseConfig(value: unknown, where = 'config'): ExperimentConfig {
  const parsed = ExperimentConfig.safeParse(value ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path.join('.') || '(top level)';
      const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      return `  ${key}: ${i.message}${extra}`;
    });
    throw new InputError(`${where} is not a valid experiment config:\n${lines.join('\n')}`);
  }
  const split = parsed.data.split;
  if (split.horizon !== parsed.data.features.horizon) {
    throw new InputError(`${where}: split.horizon ${split.horizon} differs from features.horizon ${parsed.data.features.horizon}; they must be equal for the purge to cover the label`);
  }
  return parsed.data;
}

/** Read and validate a YAML (or JSON) config file. */
export function loadConfig(path: string): ExperimentConfig {
  if (!existsSync(path)) throw new InputError(`${path}: no such config file`);
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(value, path);
}

/** sha256 of a parsed config (defaults filled in), for provenance and resume. */
export function configSha256(config: ExperimentConfig): string {
  return sha256(canonicalJson(config));
}
