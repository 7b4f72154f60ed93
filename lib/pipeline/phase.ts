import type { RunContext } from './context';

/** What a phase measured for its gate, and the files it wrote (hashed into the record). */
export interface PhaseOutput {
  metrics: Record<string, number | null>;
  artifacts: string[];
  /** One line for the log, beyond the metrics. */
  note?: string;
}

export type Phase = (ctx: RunContext) => PhaseOutput | Promise<PhaseOutput>;
