import type { Command } from 'commander';
import { deviceReport, gpuDoctor } from '../backend';
import { doctor, installKernelspec } from '../kernel/kernelspec';
import { action } from './action';

/** `gatebook kernel start|install|doctor` */
export function registerKernel(program: Command): void {
  const kernel = program.command('kernel').description('the gatebook Jupyter kernel (TypeScript, built on tslab\'s compiler)');
  kernel.command('start')
    .description('run the kernel (Jupyter starts it from the kernelspec; you rarely call this yourself)')
    .requiredOption('--connection-file <json>', 'the connection file Jupyter writes')
    .action(action(async (flags: { connectionFile: string }) => {
      const { KernelServer } = await import('../kernel/server');
      await new KernelServer(flags.connectionFile).start();
      return 0;
    }));
  kernel.command('install')
    .description('write the kernelspec that starts this kernel: <prefix>/share/jupyter/kernels/<name>/kernel.json')
    .option('--prefix <dir>', 'install prefix (default: ~/.local); add <prefix>/share/jupyter to JUPYTER_PATH')
    .option('--name <name>', 'kernel name', 'gatebook')
    .option('--display-name <text>', 'name shown in JupyterLab', 'TypeScript (gatebook)')
    .option('--backend <name>', 'set GATEBOOK_BACKEND for the kernel (tensorflow-gpu, webgpu, tensorflow, wasm, cpu)')
    .action(action((flags: { prefix?: string; name: string; displayName: string; backend?: string }) => {
      const dir = installKernelspec({ prefix: flags.prefix, name: flags.name, displayName: flags.displayName, env: flags.backend ? { GATEBOOK_BACKEND: flags.backend } : {} });
      console.log(`installed kernelspec ${flags.name} in ${dir}`);
      if (flags.prefix) console.log(`Jupyter finds it with JUPYTER_PATH=${flags.prefix}/share/jupyter`);
      return 0;
    }));
  kernel.command('doctor')
    .description('say what would stop the kernel from starting, and how to fix it (on a GPU box, also what WebGPU needs)')
    .option('--prefix <dir>', 'where the kernelspec was installed')
    .option('--name <name>', 'kernel name', 'gatebook')
    .action(action((flags: { prefix?: string; name: string }) => {
      const checks = doctor({ prefix: flags.prefix, name: flags.name });
      // on a GPU box, what WebGPU needs too (else training there runs on the CPU)
      if (deviceReport().gpu) checks.push(...gpuDoctor().map((c) => ({ ...c, name: `WebGPU: ${c.name}` })));
      for (const c of checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`);
      return checks.every((c) => c.ok) ? 0 : 1;
    }));
}
