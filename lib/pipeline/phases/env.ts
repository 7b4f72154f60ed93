import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pl from 'nodejs-polars';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

/** Gate env: the machine can run the pipeline, and what it is, for the record. */
export function envPhase(ctx: RunContext): PhaseOutput {
  const disk = statfsSync(process.cwd());
  let polarsOk = 0;
  try {
    polarsOk = pl.DataFrame({ x: [1, 2] }).getColumn('x').sum() === 3 ? 1 : 0;
  } catch {
    polarsOk = 0;
  }
  return {
    metrics: {
      node_major: Number(process.versions.node.split('.')[0]),
      cores: cpus().length,
      memory_gb: round(totalmem() / 2 ** 30),
      free_disk_gb: round((disk.bavail * disk.bsize) / 2 ** 30),
      polars_ok: polarsOk,
      seed: ctx.config.seed,
    },
    artifacts: [],
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
