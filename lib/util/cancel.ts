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

let activeWork = 0;

/**
 * Mark work that checks its cancellation (a pipeline, a training loop) as running until
 * `end()`. An interrupted notebook cell waits for such work to stop at its next check —
 * recording its gate as interrupted — before it gives up on the cell; a cell with none
 * running (it only awaits) is given up on at once.
 */
export function beginWork(): { end(): void } {
  activeWork++;
  let ended = false;
  return {
    end() {
      if (ended) return;
      ended = true;
      activeWork--;
    },
  };
}

export function workInProgress(): boolean {
  return activeWork > 0;
}
