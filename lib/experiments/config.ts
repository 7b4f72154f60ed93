import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../util/errors';
import { SyntheticOptions } from '../data/synthetic';
import { LabelOptions } from '../features/label';
import { SplitOptions } from '../split/options';
import { GateThresholds } from '../gates/thresholds';
import { canonicalJson, sha256 } from '../util/hash';
import { TrainOptions } from '../train/options';
import { WorkflowOptions } from './workflow';

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
      /** Add a feature that reads the next bars (for proving the honesty gates catch it). */
      plantLeak: z.boolean().default(false),
    }).strict().default({}),
    split: SplitOptions.default({}),
    gates: GateThresholds.default({}),
    /** The model the baseline (and later phases) train; params are checked by the family at fit. */
    model: z.object({
      family: z.enum(['lstm', 'bilstm', 'tcn', 'transformer', 'logistic']).default('lstm'),
      params: z.record(z.unknown()).default({ layers: 1, units: 32, dropout: 0.2 }),
      scaler: z.enum(['standard', 'robust']).default('robust'),
      /** 'stationary' (default: no price-level columns such as raw SMAs), 'all' numeric, or a list. */
      features: z.union([z.enum(['stationary', 'all']), z.array(z.string()).min(1)]).default('stationary'),
      /** Train on every k-th window (1 = all): keeps the embedded default within minutes on 2 cores. */
      trainStride: z.number().int().positive().default(2),
    }).strict().default({}),
    /** The seed's baseline: Adam, LR 1e-3, 20 epochs, early stopping. */
    train: TrainOptions.default({}),
    /** Seed variance: train the baseline with this many seeds; gates judge the lower bound of the mean's 95 % interval. */
    seeds: z.number().int().min(1).max(20).default(1),
    calibration: z.object({
      /** Platt by default: two parameters overfit less than isotonic steps on a few thousand overlapping windows. */
      method: z.enum(['isotonic', 'platt', 'temperature']).default('platt'),
      bins: z.number().int().min(2).max(100).default(15),
    }).strict().default({}),
    /** Final training: the seed's "extended patience" (scaled to the embedded default's budget). */
    finalization: z.object({
      epochs: z.number().int().positive().default(30),
      patience: z.number().int().positive().default(8),
      /** A second read of the test split is refused unless this is set (it is then counted). */
      allowTestReread: z.boolean().default(false),
    }).strict().default({}),
    /** The gated workflow's models (`gatebook pipeline --workflow gated`). */
    workflow: WorkflowOptions.default({}),
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
