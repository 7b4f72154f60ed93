import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli';

describe('benchmarks', () => {
  it('type-check (they run only on demand, so nothing else would notice them breaking)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.bench.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('the CLI bundled for a GPU box without Node (bench/device/bundle-cli.js) loads, runs the env gate, and a module left out says so when used', () => {
    // under the checkout (.device/ is ignored): the packages left outside the bundle resolve from its node_modules, as from the payload's
    const root = join(ROOT, '.device', `bundle-test-${process.pid}`);
    const bundle = join(root, 'dist', 'cli', 'gatebook.js');
    mkdirSync(join(root, 'data'), { recursive: true });
    try {
      const built = spawnSync(process.execPath, [join(ROOT, 'bench', 'device', 'bundle-cli.js'), bundle], { cwd: ROOT, encoding: 'utf8' });
      expect(built.stderr).toBe('');
      expect(built.status).toBe(0);
      copyFileSync(join(ROOT, 'package.json'), join(root, 'package.json'));
      copyFileSync(join(ROOT, 'data', 'embedded.json'), join(root, 'data', 'embedded.json'));
      // the env gate loads tfjs and nodejs-polars and records the data as present (from the bundle's package root)
      const env = spawnSync(process.execPath, [bundle, 'env', '--artifacts', tempDir()], { cwd: root, encoding: 'utf8', env: { ...process.env, GATEBOOK_BACKEND: 'cpu' } });
      expect(env.status, env.stderr).toBe(0);
      expect(env.stdout).toMatch(/polars_ok\s+1/);
      expect(env.stdout).toMatch(/data_present\s+1/);
      expect(env.stdout).toMatch(/backend\s+cpu/);
      // S3 is a stub there: used, it names itself instead of failing somewhere inside
      const s3 = spawnSync(process.execPath, [bundle, 'artifacts', 'pull', 's3://bucket/x', '--endpoint', 'http://127.0.0.1:1', '--to', tempDir()], { cwd: root, encoding: 'utf8' });
      expect(s3.status).toBe(3);
      expect(s3.stderr).toMatch(/@aws-sdk\/client-s3\.S3Client: @aws-sdk\/client-s3 is not carried in the device payload/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
