import { InterruptedError } from './errors';

export { InterruptedError };

/*
 * One cancellation for the process: Ctrl-C (SIGINT) or SIGTERM in the CLI, an interrupt (or
 * a Stop button) in a notebook. Work takes a token when it starts and checks it where it can
 * stop cleanly (the training loop, every batch; the pipeline, between gates); the gate that
 * was running is recorded as `error: interrupted`, never as a pass. A cancellation reaches
 * only work that started before it: the kernel's next cell starts with a fresh token.
 */

let generation = 0;
let reason = 'interrupted';

export function requestCancel(why = 'interrupted'): void {
  generation++;
  reason = why;
}

export interface CancellationToken {
  /** Why the work was cancelled, or null while it was not. */
  cancelled(): string | null;
  /** Stop here (InterruptedError) if the work was cancelled. */
  throwIfCancelled(where: string): void;
}

export function cancellationToken(): CancellationToken {
  const start = generation;
  const cancelled = () => (generation > start ? reason : null);
  return {
    cancelled,
    throwIfCancelled(where) {
      const why = cancelled();
      if (why) throw new InterruptedError(`interrupted (${why}) during ${where}`);
    },
  };
}
