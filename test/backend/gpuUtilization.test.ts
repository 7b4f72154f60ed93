/**
 * The GPU sampler behind the baseline gate's utilization check. This machine has no NVIDIA GPU,
 * so a stand-in prints what `nvidia-smi --query-gpu=utilization.gpu,memory.used -lms N` prints
 * (one "util, MiB" line per interval) and checks it was asked for exactly that; on a GPU box
 * `npm run bench:train` samples the real one.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleGpu } from '../../lib/backend/gpuUtilization';
import { tempDir } from '../helpers/cli';

function standIn(lines: string[]): string {
  const path = join(tempDir(), 'nvidia-smi');
  writeFileSync(path, `#!/usr/bin/env bash
[ "$1 $2 $3 $5 $6" = "--query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms -i 0" ] || { echo "unexpected arguments: $*" >&2; exit 2; }
for line in ${lines.map((l) => `'${l}'`).join(' ')}; do echo "$line"; sleep 0.02; done
exec sleep 30
`);
  chmodSync(path, 0o755);
  return path;
}

describe('GPU sampling', () => {
  it('averages utilization and keeps the most memory used, and stops the sampler', async () => {
    const sampler = sampleGpu(20, standIn(['10, 1000', '80, 3072', '90, 2048']));
    await new Promise((r) => setTimeout(r, 600));
    const started = Date.now();
    expect(await sampler.stop()).toEqual({ samples: 3, meanPercent: 60, maxPercent: 90, memoryUsedGb: 3 });
    expect(Date.now() - started).toBeLessThan(1500); // killed, not waited for
  });

  it('gives null without nvidia-smi or without samples', async () => {
    expect(await sampleGpu(20, join(tempDir(), 'no-such-tool')).stop()).toBeNull();
    expect(await sampleGpu(20, standIn([])).stop()).toBeNull();
  });
});
