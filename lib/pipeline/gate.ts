import type { z } from 'zod';
import type { GateSpec } from '../gates/spec';
import type { RunContext } from './context';

/** What a gate's run measured, and the files it wrote (hashed into the record). */
export interface PhaseOutput {
  metrics: Record<string, number | null>;
  artifacts: string[];
  /** One line for the log, beyond the metrics. */
  note?: string;
  /** A branch the gate took, recorded with it (e.g. "near-optimal → skip optimization"). */
  decision?: string;
  /** Gates the branch skips in this run. */
  skip?: string[];
  /** A gate over several symbols: each symbol's metrics and files, judged by the gate's `symbolChecks` and recorded one record per symbol. */
  perSymbol?: Array<{ symbol: string; metrics: Record<string, number | null>; artifacts: string[] }>;
}

/** A schema of named numeric thresholds (`gates.<id>` in a config), every key with a default. */
export type ThresholdsSchema = z.AnyZodObject;

/** The threshold names of a schema: what a check may name instead of a number. */
export type ThresholdName<T extends ThresholdsSchema> = Extract<keyof z.infer<T>, string>;

/**
 * A gate, whole, in one file (lib/pipeline/gates/<id>.ts): its declaration (id, phase,
 * requirements, checks, runbook), the schema of its thresholds, and `run`, which measures
 * the metrics its checks judge. Checks name thresholds as typed keys of that schema.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `Gate` alone is any gate: a table holds gates of different threshold schemas
export interface Gate<T extends ThresholdsSchema = any> extends GateSpec<ThresholdName<T>> {
  thresholds: T;
  run(ctx: RunContext, thresholds: z.infer<T>): PhaseOutput | Promise<PhaseOutput>;
}

/** Declare a gate (the identity, for the types: a misspelt threshold name does not compile). */
export function defineGate<T extends ThresholdsSchema>(gate: Gate<T>): Gate<T> {
  return gate;
}
