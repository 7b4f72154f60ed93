import { withChanges, type Changes } from '../util/dotted';
import { InputError } from '../util/errors';
import { readYamlFile } from '../util/yamlFile';
import { configIssues, ExperimentConfig } from './config';
import { GateThresholds } from './gates';

/** Parse a config object, naming each bad key by its path (gates' thresholds included). */
export function parseConfig(value: unknown, where = 'config'): ExperimentConfig {
  const parsed = ExperimentConfig.safeParse(value ?? {});
  const gates = GateThresholds.safeParse(parsed.success ? parsed.data.gates : ((value ?? {}) as { gates?: unknown }).gates ?? {});
  const lines = [...(parsed.success ? [] : configIssues(parsed.error)), ...(gates.success ? [] : configIssues(gates.error, 'gates'))];
  if (!parsed.success || !gates.success) throw new InputError(`${where} is not a valid experiment config:\n${lines.join('\n')}`);
  const config = { ...parsed.data, gates: gates.data };
  if (config.split.horizon !== config.features.horizon) {
    throw new InputError(`${where}: split.horizon ${config.split.horizon} differs from features.horizon ${config.features.horizon}; they must be equal for the purge to cover the label`);
  }
  return config;
}

/** Read and validate a YAML (or JSON) config file. */
export function loadConfig(path: string): ExperimentConfig {
  return parseConfig(readYamlFile(path, 'config file'), path);
}

/** The embedded default config. */
export function defaultConfig(): ExperimentConfig {
  return parseConfig({}, 'the embedded default config');
}

/**
 * A config file (or '' for the embedded default) with dotted-path overrides (notebook
 * parameters: `{ 'train.epochs': 5 }`; undefined and '' leave a key as it is), validated again.
 */
export function configWith(path: string, overrides: Changes = {}): ExperimentConfig {
  const base = path ? loadConfig(path) : defaultConfig();
  const changes = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined && v !== ''));
  return parseConfig(withChanges(base, changes), path ? `${path} with notebook parameters` : 'the embedded default config with notebook parameters');
}
