import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatebook, tempDir } from '../helpers/cli';

/**
 * The acceptance path on the embedded default, as a user types it:
 * `gatebook exp new demo && gatebook exp run demo && gatebook exp promote demo` — refused
 * while the finalization runbook's people items are unsigned (exit 1, the check named,
 * nothing written), promoted once they are signed.
 */
describe('exp new → run → promote on the embedded default', () => {
  it('refuses naming the unsigned runbook items and writes nothing, then promotes once they are signed', () => {
    const project = tempDir('gatebook-demo-');
    const gb = (...args: string[]) => gatebook(args, project);
    const today = new Date().toISOString().slice(0, 10);
    expect(gb('exp', 'new', 'demo').code).toBe(0);
    const run = gb('exp', 'run', 'demo');
    expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/finalization\s+pass/);

    const refused = gb('exp', 'promote', 'demo');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/promotion refused: runbooks verify: .*05_finalization\.md line \d+: manual item not signed: Deployment notes/);
    expect(['models', 'configs', 'reports'].filter((p) => existsSync(join(project, p)))).toEqual([]);

    const runbooks = join(project, 'experiments', `${today}-demo`, 'runbooks');
    for (const f of readdirSync(runbooks)) {
      const path = join(runbooks, f);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^- \[ \] (.*) — name, YYYY-MM-DD$/gm, `- [x] $1 — reviewer, ${today}`));
    }
    const promoted = gb('exp', 'promote', 'demo');
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/promoted .*-demo as demo v1 \(target embedded-h\d+\)/);
    const registry = JSON.parse(readFileSync(join(project, 'models', 'registry.json'), 'utf8'));
    expect(registry.entries).toHaveLength(1);
    expect(registry.entries[0].metrics.test_accuracy).toBeGreaterThan(0.5);
    expect(gb('registry', 'verify').code).toBe(0);
  }, 600_000);
});
