import { createInterface } from 'node:readline';
import { InputError } from '../util/errors';

type Prompter = (text: string, password: boolean) => Promise<string>;

const PROMPT = Symbol.for('gatebook.kernel.prompt');

/** @internal the kernel installs its stdin channel here. */
export function installPrompt(prompter: Prompter | undefined): void {
  (globalThis as Record<symbol, unknown>)[PROMPT] = prompter;
}

/**
 * Ask the person for a line of text: in a notebook through the frontend's input box
 * (Jupyter's stdin channel); a frontend that takes no input (`allow_stdin: false`, a
 * headless run) gets a clear error instead of a hang; in a terminal, a line from stdin.
 */
export async function prompt(text: string, o: { password?: boolean } = {}): Promise<string> {
  const prompter = (globalThis as Record<symbol, unknown>)[PROMPT] as Prompter | undefined;
  if (prompter) return prompter(text, Boolean(o.password));
  if (!process.stdin.isTTY) throw new InputError(`no one to answer "${text}": not in a notebook and stdin is not a terminal; pass the value as a parameter instead`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => rl.question(text, resolve));
  } finally {
    rl.close();
  }
}
