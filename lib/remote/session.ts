import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { CheckFailedError, GatebookError } from '../util/errors';
import { hostKeyPolicy, knownHostsPath } from './hostKeys';
import type { SshTarget } from './target';

/** The SSH connection failed or dropped: the remote run (if any) goes on. */
export class ConnectionError extends GatebookError {}

export interface SessionOptions {
  knownHosts?: string;
  acceptNewHostKey?: boolean;
  /** Milliseconds to wait for the handshake and login (default 20 s). */
  readyTimeout?: number;
}

export interface ExecResult { code: number | null; signal: string | null; stdout: string; stderr: string }

/** A POSIX shell word for any text. */
export const shq = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * One SSH connection (ssh2) with its host key checked against known_hosts: commands
 * (collected or streamed) and SFTP file transfer. Credentials stay in the connect call;
 * nothing here prints them.
 */
export class SshSession {
  private sftpChannel: Promise<SFTPWrapper> | null = null;
  private closed = false;
  private constructor(readonly target: SshTarget, private readonly client: Client) {
    client.on('close', () => { this.closed = true; });
  }

  static open(target: SshTarget, o: SessionOptions = {}): Promise<SshSession> {
    const policy = hostKeyPolicy({ file: knownHostsPath(o.knownHosts), host: target.host, port: target.port, acceptNew: o.acceptNewHostKey ?? false });
    const client = new Client();
    const config: ConnectConfig = {
      host: target.host, port: target.port, username: target.user,
      privateKey: target.privateKey, passphrase: target.passphrase, agent: target.agent,
      hostVerifier: (key: Buffer) => policy.verify(key),
      readyTimeout: o.readyTimeout ?? 20_000, keepaliveInterval: 10_000, keepaliveCountMax: 3,
    };
    return new Promise((resolve, reject) => {
      client.once('ready', () => resolve(new SshSession(target, client)));
      client.once('error', (error: Error & { level?: string }) => {
        const refused = policy.error();
        if (refused) return reject(refused);
        if (error.level === 'client-authentication') {
          return reject(new CheckFailedError(`${target.user}@${target.host}:${target.port} refused the login (${target.keyFile ? `key ${target.keyFile}` : 'no key file'}${target.agent ? ', ssh-agent' : ''}): check the user and that the public key is in the box's ~/.ssh/authorized_keys`));
        }
        reject(new ConnectionError(`cannot connect to ${target.host}:${target.port} (${error.message}): is the box up and the port right?`));
      });
      client.connect(config);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    this.client.on('close', listener);
  }

  /** Run a command and collect its output. */
  exec(command: string, o: { stdin?: string } = {}): Promise<ExecResult> {
    let stdout = '';
    let stderr = '';
    return this.stream(command, { onStdout: (b) => { stdout += b.toString('utf8'); }, onStderr: (b) => { stderr += b.toString('utf8'); }, stdin: o.stdin })
      .then(({ code, signal }) => ({ code, signal, stdout, stderr }));
  }

  /** Run a command, handing its output over as it comes. */
  stream(command: string, o: { onStdout?: (bytes: Buffer) => void; onStderr?: (bytes: Buffer) => void; stdin?: string }): Promise<{ code: number | null; signal: string | null }> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ConnectionError(`the connection to ${this.target.label} is closed`));
      const dropped = () => reject(new ConnectionError(`the connection to ${this.target.label} dropped`));
      this.client.once('close', dropped);
      this.client.exec(command, (error, channel) => {
        if (error) {
          this.client.off('close', dropped);
          return reject(new ConnectionError(`${this.target.label}: cannot start a command (${error.message})`));
        }
        let code: number | null = null;
        let signal: string | null = null;
        channel.on('data', (b: Buffer) => o.onStdout?.(b));
        channel.stderr.on('data', (b: Buffer) => o.onStderr?.(b));
        channel.on('exit', (c: number | null, s?: string) => { code = c; signal = s ?? null; });
        channel.on('close', () => {
          this.client.off('close', dropped);
          resolve({ code, signal });
        });
        channel.end(o.stdin ?? '');
      });
    });
  }

  /** Run a command that must succeed; its stderr is the error otherwise. */
  async run(command: string, what: string, stdin?: string): Promise<string> {
    const r = await this.exec(command, { stdin });
    if (r.code !== 0) throw new CheckFailedError(`${this.target.label}: ${what} failed (exit ${r.code ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
    return r.stdout;
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= new Promise((resolve, reject) => this.client.sftp((error, sftp) => (error ? reject(new ConnectionError(`${this.target.label}: no SFTP (${error.message}); the box's sshd needs \`Subsystem sftp\``)) : resolve(sftp))));
    return this.sftpChannel;
  }

  async readFile(path: string): Promise<Buffer | null> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => sftp.readFile(path, (error: (Error & { code?: number }) | null | undefined, data: Buffer) => {
      if (error) return error.code === 2 ? resolve(null) : reject(new ConnectionError(`${this.target.label}:${path}: ${error.message}`));
      resolve(data);
    }));
  }

  async upload(local: string, remote: string): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => sftp.fastPut(local, remote, (error) => (error ? reject(new ConnectionError(`upload ${local} → ${this.target.label}:${remote}: ${error.message}`)) : resolve())));
  }

  async download(remote: string, local: string): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => sftp.fastGet(remote, local, (error) => (error ? reject(new ConnectionError(`download ${this.target.label}:${remote}: ${error.message}`)) : resolve())));
  }

  close(): void {
    this.client.end();
  }
}
