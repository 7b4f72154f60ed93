import type { Command } from 'commander';
import { readRegistry, REGISTRY, verifyRegistry } from '../experiments';
import { action } from './action';

/** `gatebook registry verify|list` */
export function registerRegistry(program: Command): void {
  const registry = program.command('registry').description('the model registry (models/registry.json) that `gatebook exp promote` writes');
  registry.command('verify')
    .description('every entry\'s files present with their sha256, every justifying record in a ledger whose chain verifies (exit 1 naming each problem)')
    .option('--registry <file>', 'the registry', REGISTRY)
    .option('--endpoint <url>', 'an S3-compatible endpoint, for models that live in a store (exp promote --to)')
    .action(action(async (f: { registry: string; endpoint?: string }) => {
      const problems = await verifyRegistry(f.registry, { endpoint: f.endpoint });
      const entries = readRegistry(f.registry).entries.length;
      if (problems.length === 0) {
        console.log(`${f.registry}: ${entries} entr${entries === 1 ? 'y' : 'ies'} verify (files, sha256, ledger records)`);
        return 0;
      }
      for (const p of problems) console.error(`✗ ${p.entry}: ${p.file}: ${p.problem}`);
      console.error(`${f.registry}: ${problems.length} problem(s) in ${entries} entries`);
      return 1;
    }));
  registry.command('list')
    .description('the registry\'s entries: name, version, status, target, experiment, test accuracy')
    .option('--registry <file>', 'the registry', REGISTRY)
    .option('--json', 'as JSON')
    .action(action(async (f: { registry: string; json?: boolean }) => {
      const r = readRegistry(f.registry);
      if (f.json) console.log(JSON.stringify(r.entries, null, 2));
      else if (r.entries.length === 0) console.log('no promoted models yet: `gatebook exp promote <experiment>`');
      else for (const e of r.entries) console.log(`${e.name} v${e.version}  ${e.status.padEnd(8)}  ${e.target}  ${e.experiment}  test_accuracy ${e.metrics.test_accuracy?.toFixed(4) ?? '—'}  ${e.promoted_at}`);
      return 0;
    }));
}
