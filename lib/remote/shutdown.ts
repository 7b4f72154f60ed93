import { ConnectionError, type SshSession } from './session';

/**
 * `--shutdown-after`: stop the paid box with its configured command (`shutdown -h now`, the
 * provider's CLI). Call it only after `fetchRun` returned (it throws on anything unverified):
 * then every record and artifact is home and verified.
 * The command usually takes the connection down with the box: a drop after it is success.
 */
export async function shutdownBox(session: SshSession, command: string, log: (line: string) => void): Promise<boolean> {
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
