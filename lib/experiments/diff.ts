import { canonicalJson } from '../util/hash';
import { loadConfig } from '../pipeline/configFile';
import type { Experiment } from './experiment';
import { existsSync } from 'node:fs';
import { latestByGate } from '../gates/ledger';
import { intactRecords } from '../gates/queries';
import { gateById } from '../pipeline/gates';

export interface ExperimentDiff {
  /** dotted config keys whose values differ (the experiment's own `name` aside) */
  config: Array<{ key: string; a: unknown; b: unknown }>;
  /** `gate.metric` of the latest records that differ */
  metrics: Array<{ key: string; a: number | null | undefined; b: number | null | undefined }>;
}

/** What differs between two experiments: the validated configs (defaults filled in) and the latest records' metrics. */
export function diffExperiments(a: Experiment, b: Experiment): ExperimentDiff {
  const ca = flatten(loadConfig(a.configPath));
  const cb = flatten(loadConfig(b.configPath));
  const config = [...new Set([...ca.keys(), ...cb.keys()])].filter((k) => k !== 'name' && canonicalJson(ca.get(k)) !== canonicalJson(cb.get(k)))
    .sort().map((key) => ({ key, a: ca.get(key), b: cb.get(key) }));
  const ma = metricsOf(a);
  const mb = metricsOf(b);
  const metrics = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k)).sort().map((key) => ({ key, a: ma.get(key), b: mb.get(key) }));
  return { config, metrics };
}

/** A config as dotted keys → leaf values (arrays are leaves). */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}

/** The latest record's metrics of each gate (event records such as test reads aside), read from the ledger alone. */
function metricsOf(exp: Experiment): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const records = existsSync(exp.ledgerPath) ? intactRecords(exp.ledgerPath, () => {}) : [];
  for (const [gate, record] of latestByGate(records.filter((r) => gateById(r.gate)))) for (const [m, v] of Object.entries(record.metrics)) out.set(`${gate}.${m}`, v);
  return out;
}
