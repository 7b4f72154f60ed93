import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { signalChild } from '../util/signalChild';

/**
 * The remote side of `gatebook remote run`, started on the box as
 * `node dist/remote/launcher.js --detach <runDir> <ledger> -- <gatebook args>`: it starts
 * itself again in a session of its own (so the run outlives the SSH connection: no SIGHUP,
 * no terminal), returns at once, and the detached copy runs `gatebook <args>` with its
 * output in `<runDir>/log`, writes `state.json` (pids, start, the ledger's records at start)
 * and, when the command ends, `exit.json` (code or signal). A SIGINT or SIGTERM that reaches
 * the launcher is passed on to the command.
 */
export interface RunState { launcher: number; pid: number; started: string; ledger: string; ledger_records_at_start: number }
export interface RunExit { code: number | null; signal: string | null; finished: string }

const countLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0);

function detach(argv: string[]): void {
  const [runDir] = argv;
  const log = openSync(join(runDir, 'log'), 'a');
  const child = spawn(process.execPath, [__filename, ...argv], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  closeSync(log);
  process.stdout.write(`${child.pid}\n`);
}

function supervise(argv: string[]): void {
  const [runDir, ledger, dashes, ...args] = argv;
  if (dashes !== '--') throw new Error('usage: launcher.js [--detach] <runDir> <ledger> -- <gatebook args>');
  const bin = join(__dirname, '..', '..', 'bin', 'gatebook.js');
  const atStart = countLines(ledger);
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const state: RunState = { launcher: process.pid, pid: child.pid!, started: new Date().toISOString(), ledger, ledger_records_at_start: atStart };
  writeFileAtomic(join(runDir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  process.on('SIGHUP', () => undefined);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => signalChild(child, signal));
  child.on('exit', (code, signal) => {
    const exit: RunExit = { code, signal, finished: new Date().toISOString() };
    writeFileAtomic(join(runDir, 'exit.json'), JSON.stringify(exit, null, 2) + '\n');
    process.exit(0);
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--detach') detach(argv.slice(1));
  else supervise(argv);
}
