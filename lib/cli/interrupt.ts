import { requestCancel } from '../util/cancel';

/**
 * Ctrl-C (SIGINT) and SIGTERM during long work: the first asks the work to stop where it
 * can (the training loop, at its next batch; the gate is recorded as `error: interrupted`),
 * says so, and gives the terminal its cursor back; a second one quits at once (exit 130).
 */
export function stopOnInterrupt(): void {
  let asked = false;
  const handler = (signal: NodeJS.Signals) => {
    showCursor();
    if (asked) {
      process.stderr.write(`\n${signal} again: quitting at once\n`);
      process.exit(130);
    }
    asked = true;
    requestCancel(signal === 'SIGINT' ? 'Ctrl-C' : signal);
    process.stderr.write(`\n${signal}: stopping — the running gate stops at its next batch and is recorded as error: interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again quits at once)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** A progress bar hides the cursor; an interrupted run must not leave the terminal without one. */
export function showCursor(): void {
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h');
}
