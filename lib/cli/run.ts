import type { Command } from 'commander';
import { DEFAULT_SKIP_TAGS, notebookParameters, parametersFromFile, readNotebook, runNotebook, sourceOf, type Cell, type Output } from '../runner';
import { action, intOption } from './action';
import { stopOnInterrupt } from './interrupt';
import { progress } from './progress';

interface RunFlags {
  param: string[];
  parametersFile?: string;
  out?: string;
  kernel?: string;
  timeout: number;
  resume?: string;
  helpNotebook?: boolean;
  logOutput?: boolean;
  skipTag: string[];
  cwd?: string;
}

/** `gatebook run <notebook>`: a notebook headlessly on the gatebook kernel. */
export function registerRun(program: Command): void {
  program.command('run <notebook>')
    .description('run a TypeScript notebook headlessly (papermill for TypeScript): typed parameters, per-cell timeout,\n' +
      'dead-kernel detection, the executed notebook saved with outputs and timing; exit 1 at the first failing cell.\n' +
      'The gatebook kernel needs no installing: without a kernelspec named gatebook, this installation\'s kernel is started')
    .option('-p, --param <name=value>', 'set a parameter of the cell tagged "parameters" (repeatable; after -f, wins over it)', (v: string, all: string[]) => [...all, v], [])
    .option('-f, --parameters-file <yaml>', 'parameters from a YAML (or JSON) mapping of names to values')
    .option('--out <ipynb>', 'the executed notebook (default artifacts/notebooks/<name>)')
    .option('--kernel <name>', 'kernelspec (default: the notebook\'s, else gatebook)')
    .option('--cwd <dir>', 'the kernel\'s working directory (default: the notebook\'s folder)')
    .option('--timeout <seconds>', 'per-cell timeout', intOption('--timeout'), 1800)
    .option('--log-output', 'print each cell\'s output on the terminal as it runs (streams, displays, errors)')
    .option('--skip-tag <tag>', `do not run cells with this tag (repeatable; default ${DEFAULT_SKIP_TAGS.join(', ')}; --skip-tag '' runs every cell)`, (v: string, all: string[] | undefined) => [...(all ?? []), v].filter(Boolean))
    .option('--resume <executed.ipynb>', 'continue a failed run from its failed cell in a fresh kernel; re-runs the\n' +
      'parameters, injected-parameters and setup-tagged cells before it (a new kernel has none of their variables);\n' +
      'other earlier cells keep their outputs: their results live in artifacts/ and the ledger')
    .option('--help-notebook', "list the notebook's parameters and exit")
    .action(action(async (path: string, flags: RunFlags) => {
      if (flags.helpNotebook) {
        const params = notebookParameters(readNotebook(path));
        console.log(params.length ? params.map((p) => `  ${p.name}: ${p.type} = ${p.default}${p.comment ? `   // ${p.comment}` : ''}`).join('\n') : `${path} declares no parameters`);
        return 0;
      }
      const params = [...(flags.parametersFile ? parametersFromFile(flags.parametersFile) : []), ...flags.param];
      stopOnInterrupt();
      // with --log-output the outputs are the progress; a bar would interleave with them
      const bar = flags.logOutput ? null : progress(`run ${path}`);
      const result = await runNotebook(path, {
        params, out: flags.out, kernel: flags.kernel, timeoutSeconds: flags.timeout, resume: flags.resume, cwd: flags.cwd,
        skipTags: flags.skipTag ?? DEFAULT_SKIP_TAGS,
        onCell: (d, t) => bar?.update(d, t),
        onOutput: flags.logOutput ? logOutput() : undefined,
      });
      bar?.stop();
      if (result.failed) {
        const f = result.failed;
        console.error(`${path}: cell ${f.index + 1} (id ${f.id}) failed: ${f.ename}: ${f.evalue}\n${forTerminal(process.stderr, f.traceback.join('\n'))}\nsaved ${result.out} (the failing cell is marked); continue with --resume ${result.out}`);
        return 1;
      }
      console.log(`${path}: ${result.executed} cell(s) ran in ${result.seconds.toFixed(1)} s; saved ${result.out}`);
      return 0;
    }));
}

/** A kernel's coloured text as it is for a terminal, without the colour codes for a file or a pipe. */
function forTerminal(stream: NodeJS.WriteStream, text: string): string {
  return stream.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Each output as text on the terminal, under a header naming its cell (its number in the notebook, its id, its first line): streams as written, displays by their plain text. */
function logOutput(): (output: Output, cell: Cell, index: number, update: boolean) => void {
  let current: Cell | null = null;
  return (output, cell, index, update) => {
    if (cell !== current) {
      current = cell;
      const first = sourceOf(cell).split('\n')[0].slice(0, 70);
      process.stdout.write(`\n── cell ${index + 1}${cell.id ? ` (${cell.id})` : ''}: ${first}\n`);
    }
    if (output.output_type === 'stream') {
      (output.name === 'stderr' ? process.stderr : process.stdout).write(String(output.text));
    } else if (output.output_type === 'error') {
      process.stderr.write(`${forTerminal(process.stderr, (output.traceback as string[]).join('\n'))}\n`);
    } else {
      const data = (output.data ?? {}) as Record<string, unknown>;
      const text = data['text/plain'] ?? (data['image/png'] ? '<image>' : Object.keys(data).map((k) => `<${k}>`).join(' '));
      process.stdout.write(`${update ? '… ' : ''}${String(text)}\n`);
    }
  };
}
