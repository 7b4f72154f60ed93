import type { FetchReport } from './fetch';
import { ConnectionError, type SshSession } from './session';

/**
 * `--shutdown-after`: stop the paid box with its configured command (`shutdown -h now`, the
 * provider's CLI), only after a fetch brought every record and artifact home verified.
 * The command usually takes the connection down with the box: a drop after it is success.
 */
export async function shutdownBox(session: SshSession, command: string, fetched: FetchReport | null, log: (line: string) => void): Promise<boolean> {
  if (!fetched || fetched.refused) {
    log(`not stopping ${session.target.label}: the evidence is not home and verified (${fetched?.refused ?? 'no fetch'})`);
    return false;
  }
  log(`stopping ${session.target.label}: ${command}`);
  try {
    const r = await session.exec(command);
    if (r.code !== 0) {
      log(`the stop command exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim()} — the box may still be running (and billing)`);
      return false;
    }
  } catch (error) {
    if (!(error instanceof ConnectionError)) throw error;
  }
  return true;
}
