/**
 * Error classes that carry their meaning to the CLI: an input or usage error exits 2,
 * a failed check exits 1. Messages say what was expected, what was found, where, and
 * what to do next.
 */
export class GatebookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user's input (a file, a flag, a config) is malformed or inconsistent: exit 2. */
export class InputError extends GatebookError {}

/** A check ran and did not hold (validation, causality, a gate): exit 1. */
export class CheckFailedError extends GatebookError {}

/** The work was cancelled (Ctrl-C, SIGTERM, a notebook interrupt): exit 130, as a shell reports SIGINT. */
export class InterruptedError extends GatebookError {}

/** Exit code for an error thrown anywhere in gatebook; anything unexpected is 3. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof InterruptedError) return 130;
  if (error instanceof CheckFailedError) return 1;
  if (error instanceof InputError) return 2;
  return 3;
}

/** A write failed because the disk (or a quota or file-size limit) is full: exit 2, nothing half-written left behind. */
export class DiskFullError extends InputError {}
