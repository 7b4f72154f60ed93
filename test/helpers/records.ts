import type { UnsealedRecord } from '../../lib/gates/record';

/** A minimal valid unsealed record for ledger tests. */
export function fakeRecord(gate: string, metrics: Record<string, number> = {}, status: 'pass' | 'fail' | 'error' = 'pass'): UnsealedRecord {
  const zero = '0'.repeat(64);
  const now = new Date().toISOString();
  return {
    schema: 1, gate, phase: 'test', run: 'r1', experiment: 'exp', status, metrics, checks: [], artifacts: [],
    provenance: { git: { commit: null, dirty: null }, code_sha256: zero, config_sha256: zero, data_sha256: null, seed: 1, backend: 'cpu', device: 'test', versions: {}, host: 'h' },
    inputs_sha256: zero, decision: null, error: null, started: now, finished: now, duration_s: 0,
  };
}
