import type { Command } from 'commander';
import { notebookParameters, readNotebook, runNotebook } from '../runner';
import { action, intOption } from './action';
import { stopOnInterrupt } from './interrupt';
import { progress } from './progress';

/** `gatebook run <notebook>`: a notebook headlessly on the gatebook kernel. */
export function registerRun(program: Command): void {
  program.command('run <notebook>')
    .description('run a TypeScript notebook headlessly (papermill for TypeScript): typed parameters, per-cell timeout,\n' +
      'dead-kernel detection, the executed notebook saved with outputs and timing; exit 1 at the first failing cell')
    .option('-p, --param <name=value>', 'set a parameter of the cell tagged "parameters" (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--out <ipynb>', 'the executed notebook (default artifacts/notebooks/<name>)')
    .option('--kernel <name>', 'kernelspec (default: the notebook\'s, else gatebook)')
    .option('--timeout <seconds>', 'per-cell timeout', intOption('--timeout'), 1800)
    .option('--resume <executed.ipynb>', 'continue a failed run from its failed cell in a fresh kernel; re-runs the\n' +
      'parameters, injected-parameters and setup-tagged cells before it (a new kernel has none of their variables);\n' +
      'other earlier cells keep their outputs: their results live in artifacts/ and the ledger')
    .option('--help-notebook', "list the notebook's parameters and exit")
    .action(action(async (path: string, flags: { param: string[]; out?: string; kernel?: string; timeout: number; resume?: string; helpNotebook?: boolean }) => {
      if (flags.helpNotebook) {
        const params = notebookParameters(readNotebook(path));
        console.log(params.length ? params.map((p) => `  ${p.name}: ${p.type} = ${p.default}${p.comment ? `   // ${p.comment}` : ''}`).join('\n') : `${path} declares no parameters`);
        return 0;
      }
      stopOnInterrupt();
      const bar = progress(`run ${path}`);
      const result = await runNotebook(path, { params: flags.param, out: flags.out, kernel: flags.kernel, timeoutSeconds: flags.timeout, resume: flags.resume, onCell: (d, t) => bar.update(d, t) });
      bar.stop();
      if (result.failed) {
        const f = result.failed;
        console.error(`${path}: cell ${f.index + 1} (id ${f.id}) failed: ${f.ename}: ${f.evalue}\n${f.traceback.join('\n')}\nsaved ${result.out} (the failing cell is marked); continue with --resume ${result.out}`);
        return 1;
      }
      console.log(`${path}: ${result.executed} cell(s) ran in ${result.seconds.toFixed(1)} s; saved ${result.out}`);
      return 0;
    }));
}
