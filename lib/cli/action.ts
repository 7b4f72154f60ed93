import { InvalidArgumentError } from 'commander';
import { InterruptedError } from '../util/cancel';
import { writeError } from '../util/disk';
import { exitCodeFor, GatebookError } from '../util/errors';
import { showCursor } from './interrupt';

/** A full disk that surfaced as a plain system error: said as one, naming the file (exit 2). */
function fullDisk(error: unknown): unknown {
  const path = (error as NodeJS.ErrnoException)?.path;
  return typeof path === 'string' ? writeError(error, path) : error;
}

/**
 * Wrap a verb's body: its resolved number is the exit code; an error is printed once,
 * plainly for gatebook's own errors (with the stack for anything unexpected), and mapped
 * to its exit code (1 a check failed, 2 usage or input, 3 a bug).
 */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number> | number) {
  return async (...args: A): Promise<void> => {
    try {
      process.exitCode = await body(...args);
    } catch (thrown) {
      const error = fullDisk(thrown);
      const known = error instanceof GatebookError;
      if (error instanceof InterruptedError) showCursor();
      process.stderr.write(`gatebook: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
      process.exitCode = exitCodeFor(error);
    }
  };
}

/** Integer option parser for commander that names the option when the value is bad. */
export function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid ${name}: ${value} (expected an integer)`);
    return n;
  };
}

export function numberOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`invalid ${name}: ${value} (expected a number)`);
    return n;
  };
}
