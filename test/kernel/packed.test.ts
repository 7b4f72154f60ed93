import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli';

/**
 * What a project that depends on gatebook gets: the packed package installed without dev
 * dependencies. The kernel's runtime (zeromq, tslab's compiler, Node's types) must come with
 * it: the kernel starts there and runs a TypeScript cell that imports gatebook by name.
 */
describe('the packed package, installed with --omit=dev', () => {
  it('starts the kernel and runs a cell that imports gatebook', () => {
    const dir = tempDir('gatebook-packed-');
    const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
      const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
      expect(r.status, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT); // dist/ is built by `npm test`
    const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
    const project = join(dir, 'project');
    run('mkdir', ['-p', project], dir);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', tarball, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], project);
    const installed = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')).packages as Record<string, { dev?: boolean }>;
    for (const name of ['zeromq', 'tslab', '@types/node']) expect(installed[`node_modules/${name}`], name).toBeDefined();
    expect(Object.keys(installed)).not.toContain('node_modules/vitest'); // dev dependencies stayed out
    const bin = join(project, 'node_modules', '.bin', 'gatebook');
    run(bin, ['kernel', 'install', '--prefix', join(project, 'jupyter')], project);
    writeFileSync(join(project, 'nb.ipynb'), JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'gatebook', display_name: 'TypeScript (gatebook)', language: 'typescript' } },
      cells: [{
        id: 'c1', cell_type: 'code', metadata: {}, execution_count: null, outputs: [],
        source: "import { generateSynthetic } from 'gatebook';\nconst f = generateSynthetic({ bars: 300, seed: 3 });\nconst rows: number = f.height;\nrows * 2",
      }],
    }));
    run(bin, ['run', 'nb.ipynb', '--out', 'out.ipynb', '--timeout', '120'], project, { JUPYTER_PATH: join(project, 'jupyter', 'share', 'jupyter') });
    const outputs = JSON.parse(readFileSync(join(project, 'out.ipynb'), 'utf8')).cells[0].outputs;
    expect(outputs).toContainEqual(expect.objectContaining({ output_type: 'execute_result', data: { 'text/plain': '600' } }));
  }, 300_000);
});
