import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import { randomUUID } from 'node:crypto';
import { startHeartbeat } from './heartbeat';
import { watchParent } from './parentWatch';
import { inspect } from 'node:util';
import * as zmq from 'zeromq';
import { InputError } from '../util/errors';
import { CommManager, installCommManager } from './comms';
import { installDisplayHook, richBundle, settleDisplays, type MimeBundle } from './display';
import { installPrompt } from './prompt';
import { registerWidgetTargets } from './widgets';
import { History } from './history';
import { CellExecutor } from './cellExecutor';
import { cellCompleteness } from './cellCompleteness';
import { parseMessage, reply, serialize, PROTOCOL_VERSION, type Message } from './wire';

interface Connection {
  transport: string;
  ip: string;
  key: string;
  signature_scheme: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
}

const TYPESCRIPT_VERSION = (() => {
  try {
    return (require('@tslab/typescript-for-tslab/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/**
 * The gatebook kernel: the Jupyter messaging protocol (5.3) over ZeroMQ — shell, control,
 * iopub, stdin, heartbeat — with every incoming message's HMAC checked (a bad signature is
 * logged and dropped, never executed), status busy/idle around every request, errors as
 * ename / evalue / traceback on iopub and in the reply, and a cell's last value as an
 * execute_result with rich representations.
 */
export class KernelServer {
  private readonly connection: Connection;
  private readonly session = randomUUID();
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  private readonly iopub = new zmq.Publisher();
  private readonly ts: CellExecutor;
  private readonly history = new History();
  private executionCount = 0;
  private current: Message | null = null;
  private abortBefore = 0;
  private iopubQueue: Promise<void> = Promise.resolve();
  private closing = false;
  /** Cells run one after another; other requests (a comm message from a Stop button, completion) are answered meanwhile. */
  private executing: Promise<void> = Promise.resolve();
  private readonly comms: CommManager;
  private readonly stdinWaiters = new Map<string, (value: string) => void>();

  constructor(connectionFile: string, private readonly log: (line: string) => void = (l) => process.stderr.write(`[gatebook kernel] ${l}\n`)) {
    this.connection = JSON.parse(readFileSync(connectionFile, 'utf8'));
    if (this.connection.key && this.connection.signature_scheme !== 'hmac-sha256') {
      throw new Error(`unsupported signature scheme ${this.connection.signature_scheme} (gatebook speaks hmac-sha256)`);
    }
    this.ts = new CellExecutor(process.cwd());
    this.comms = new CommManager({
      open: (comm_id, target_name, data, metadata) => this.publish(this.current, 'comm_open', { comm_id, target_name, data, metadata }),
      send: (comm_id, data) => this.publish(this.current, 'comm_msg', { comm_id, data }),
      close: (comm_id, data) => this.publish(this.current, 'comm_close', { comm_id, data }),
    });
    registerWidgetTargets(this.comms);
  }

  async start(): Promise<void> {
    // to the kernel's own stderr (the Jupyter server's log), not to a cell: no client is left to read it
    watchParent(process.env.JPY_PARENT_PID, (line) => writeSync(2, `[gatebook kernel] ${line}\n`));
    const c = this.connection;
    // as jupyter_client names them: tcp://ip:port, and for ipc (a path, no open port: shared nodes) ipc://ip-port
    const address = (port: number) => (c.transport === 'ipc' ? `ipc://${c.ip}-${port}` : `${c.transport}://${c.ip}:${port}`);
    await Promise.all([
      this.shell.bind(address(c.shell_port)), this.control.bind(address(c.control_port)), this.stdin.bind(address(c.stdin_port)),
      this.iopub.bind(address(c.iopub_port)), startHeartbeat(address(c.hb_port)),
    ]);
    this.redirectOutput();
    installDisplayHook({ display: (bundle, o) => this.publishDisplay(bundle, o) });
    installCommManager(this.comms);
    installPrompt((text: string, password: boolean) => this.prompt(text, password));
    bridgeTslabDisplay((data, update) => this.publish(this.current, update ? 'update_display_data' : 'display_data', data as Record<string, unknown>));
    process.on('SIGINT', () => this.ts.interrupt());
    process.on('uncaughtException', (e) => this.stream('stderr', `Uncaught exception: ${e.stack ?? e}\n`));
    process.on('unhandledRejection', (e) => this.stream('stderr', `Unhandled promise rejection: ${e instanceof Error ? e.stack : inspect(e)}\n`));
    this.publish(null, 'status', { execution_state: 'starting' });
    void this.serve(this.control, 'control');
    void this.readStdin();
    await this.serve(this.shell, 'shell');
  }

  /** input_reply messages, each handed to the prompt that asked. */
  private async readStdin(): Promise<void> {
    for await (const frames of this.stdin) {
      const parsed = parseMessage(frames as Buffer[], this.connection.key);
      if ('error' in parsed) {
        this.log(`dropped a message on stdin: ${parsed.error}`);
        continue;
      }
      if (parsed.message.header.msg_type !== 'input_reply') continue;
      // a reply names its request as parent; some clients (jupyter_client's input()) send none: it answers the oldest question
      const waiter = this.stdinWaiters.get(String(parsed.message.parent_header?.msg_id)) ?? this.stdinWaiters.values().next().value;
      waiter?.(String(parsed.message.content.value ?? ''));
    }
  }

  /** Ask the frontend of the running cell for a line of text (input_request on stdin). */
  private async prompt(text: string, password: boolean): Promise<string> {
    const cell = this.current;
    if (!cell || cell.header.msg_type !== 'execute_request') throw new InputError('a prompt needs a running cell');
    if (cell.content.allow_stdin === false) throw new InputError('this frontend does not take input (allow_stdin is false: a headless run, or a frontend without a stdin channel); pass the value as a parameter instead');
    const request = reply(cell, 'input_request', { prompt: text, password }, this.session);
    const answer = new Promise<string>((resolve) => this.stdinWaiters.set(request.header.msg_id, resolve));
    await this.iopubQueue;
    await this.stdin.send(serialize(request, this.connection.key, cell.identities));
    try {
      return await answer;
    } finally {
      this.stdinWaiters.delete(request.header.msg_id);
    }
  }

  private async serve(socket: zmq.Router, name: string): Promise<void> {
    for await (const frames of socket) {
      const parsed = parseMessage(frames as Buffer[], this.connection.key);
      if ('error' in parsed) {
        this.log(`dropped a message on ${name}: ${parsed.error}`);
        continue;
      }
      const msg = parsed.message;
      if (msg.header.msg_type === 'execute_request') {
        // queued: the loop goes on reading, so comm messages (a Stop button) and completion are answered while a cell runs
        this.executing = this.executing.then(() => this.handle(socket, msg)).catch((e) => this.log(`execute failed: ${e}`));
      } else {
        await this.handle(socket, msg);
      }
      if (this.closing) break;
    }
  }

  private async handle(socket: zmq.Router, msg: Message): Promise<void> {
    const type = msg.header.msg_type;
    this.publish(msg, 'status', { execution_state: 'busy' });
    try {
      switch (type) {
        case 'kernel_info_request': await this.send(socket, msg, 'kernel_info_reply', this.kernelInfo()); break;
        case 'execute_request': await this.execute(socket, msg); break;
        case 'complete_request': await this.send(socket, msg, 'complete_reply', this.complete(msg)); break;
        case 'inspect_request': await this.send(socket, msg, 'inspect_reply', this.inspect(msg)); break;
        case 'is_complete_request': await this.send(socket, msg, 'is_complete_reply', cellCompleteness(String(msg.content.code ?? ''))); break;
        case 'history_request': await this.send(socket, msg, 'history_reply', { status: 'ok', history: this.history.query(msg.content) }); break;
        case 'comm_info_request': await this.send(socket, msg, 'comm_info_reply', { status: 'ok', comms: this.comms.info(msg.content.target_name as string | undefined) }); break;
        case 'comm_open': this.inCell(msg, () => this.comms.handleOpen(msg.content, msg.buffers)); break;
        case 'comm_msg': this.inCell(msg, () => this.comms.handleMessage(msg.content, msg.buffers)); break;
        case 'comm_close': this.inCell(msg, () => this.comms.handleClose(msg.content, msg.buffers)); break;
        case 'interrupt_request': this.ts.interrupt(); await this.send(socket, msg, 'interrupt_reply', { status: 'ok' }); break;
        case 'shutdown_request': await this.shutdown(socket, msg); break;
        default: this.log(`unsupported message type ${type}`);
      }
    } finally {
      this.publish(msg, 'status', { execution_state: 'idle' });
    }
  }

  /** Handle a frontend message whose replies (comm messages) go out with it as their parent, then back to the running cell. */
  private inCell(msg: Message, handle: () => void): void {
    const running = this.current;
    this.current = msg;
    try {
      handle();
    } finally {
      this.current = running;
    }
  }

  private kernelInfo(): Record<string, unknown> {
    const gatebook = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'gatebook',
      implementation_version: gatebook.version,
      language_info: {
        name: 'typescript', version: TYPESCRIPT_VERSION, mimetype: 'text/typescript', file_extension: '.ts',
        codemirror_mode: { name: 'javascript', typescript: true, mode: 'typescript' },
      },
      banner: `gatebook ${gatebook.version} — TypeScript ${TYPESCRIPT_VERSION} (tslab compiler) on Node ${process.versions.node}`,
      help_links: [
        { text: 'gatebook README', url: 'https://www.npmjs.com/package/gatebook' },
        { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
      ],
      debugger: false,
    };
  }

  private async execute(socket: zmq.Router, msg: Message): Promise<void> {
    const code = String(msg.content.code ?? '');
    const silent = Boolean(msg.content.silent);
    if (Date.parse(msg.header.date) < this.abortBefore) {
      // queued behind a cell that failed with stop_on_error: aborted, as the protocol says
      await this.send(socket, msg, 'execute_reply', { status: 'aborted', execution_count: this.executionCount });
      return;
    }
    // the counter counts the cells that store history (the protocol; ipykernel): store_history false leaves it, silent forces that
    const stored = !silent && msg.content.store_history !== false;
    if (stored) this.executionCount++;
    const count = this.executionCount;
    this.current = msg;
    if (!silent) this.publish(msg, 'execute_input', { code, execution_count: count });
    const outcome = await this.ts.execute(code, stored ? String(count) : undefined);
    await settleDisplays(); // a figure shown in the cell is complete (its PNG) before the cell is done
    let output: string | null = null;
    if (outcome.ok && outcome.hasValue && !silent) {
      const data = await richBundle(outcome.value); // a figure as the last expression renders as gb.showFigure does
      output = String(data['text/plain'] ?? '');
      this.publish(msg, 'execute_result', { execution_count: count, data, metadata: {} });
    }
    if (stored) this.history.add(count, code, output);
    if (outcome.ok) {
      const userExpressions = await this.userExpressions(msg.content.user_expressions);
      await this.send(socket, msg, 'execute_reply', { status: 'ok', execution_count: count, payload: [], user_expressions: userExpressions });
      return;
    }
    const error = { ename: outcome.ename, evalue: outcome.evalue, traceback: colour(outcome.traceback) };
    this.publish(msg, 'error', error);
    if (msg.content.stop_on_error !== false) this.abortBefore = Date.now();
    await this.send(socket, msg, 'execute_reply', { status: 'error', execution_count: count, ...error });
  }

  /**
   * The request's user_expressions, each evaluated after the cell succeeded (as ipykernel does:
   * none after an error): its value as an execute_result's bundle, or its own error — one
   * failing expression fails only itself. Clients use them to read state without a cell of
   * their own (a variable inspector, a status bar).
   */
  private async userExpressions(requested: unknown): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    if (!requested || typeof requested !== 'object') return results;
    for (const [name, expression] of Object.entries(requested as Record<string, unknown>)) {
      const outcome = await this.ts.execute(String(expression));
      results[name] = outcome.ok
        ? { status: 'ok', data: outcome.hasValue ? await richBundle(outcome.value) : { 'text/plain': 'undefined' }, metadata: {} }
        : { status: 'error', ename: outcome.ename, evalue: outcome.evalue, traceback: colour(outcome.traceback) };
    }
    return results;
  }

  private complete(msg: Message): Record<string, unknown> {
    const code = String(msg.content.code ?? '');
    const cursor = Number(msg.content.cursor_pos ?? code.length);
    const r = this.ts.complete(code, cursor);
    return { status: 'ok', matches: r.matches, cursor_start: r.start, cursor_end: r.end, metadata: {} };
  }

  private inspect(msg: Message): Record<string, unknown> {
    const code = String(msg.content.code ?? '');
    const text = this.ts.inspect(code, Number(msg.content.cursor_pos ?? code.length));
    return text ? { status: 'ok', found: true, data: { 'text/plain': text }, metadata: {} } : { status: 'ok', found: false, data: {}, metadata: {} };
  }

  private async shutdown(socket: zmq.Router, msg: Message): Promise<void> {
    const restart = Boolean(msg.content.restart);
    await this.send(socket, msg, 'shutdown_reply', { status: 'ok', restart });
    this.closing = true;
    setTimeout(() => {
      this.ts.close();
      process.exit(0);
    }, 100);
  }

  /** stdout / stderr of the process go to iopub as streams of the cell running (or that ran last). */
  private redirectOutput(): void {
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = process[name];
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.stream(name, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    }
  }

  private stream(name: 'stdout' | 'stderr', text: string): void {
    this.publish(this.current, 'stream', { name, text });
  }

  private publishDisplay(data: MimeBundle, o: { displayId?: string; update?: boolean }): void {
    const transient = o.displayId ? { display_id: o.displayId } : {};
    this.publish(this.current, o.update ? 'update_display_data' : 'display_data', { data, metadata: {}, transient });
  }

  private publish(parent: Message | null, type: string, content: Record<string, unknown>): void {
    const frames = serialize(reply(parent, type, content, this.session), this.connection.key, [Buffer.from(type)]);
    this.iopubQueue = this.iopubQueue.then(() => this.iopub.send(frames)).catch((e) => this.log(`iopub send failed: ${e}`));
  }

  private async send(socket: zmq.Router, parent: Message, type: string, content: Record<string, unknown>): Promise<void> {
    await this.iopubQueue; // outputs reach iopub before the reply reaches the client
    await socket.send(serialize(reply(parent, type, content, this.session), this.connection.key));
  }
}

/** Tracebacks in colour, as other kernels send them (frontends render ANSI): the error red, cell lines green, frames dim. */
function colour(traceback: string[]): string[] {
  return traceback.map((line, i) => (i === 0 ? `\x1b[0;31m${line}\x1b[0m` : /^cell line /.test(line) ? `\x1b[0;32m${line}\x1b[0m` : /^\s+at /.test(line) ? `\x1b[2m${line}\x1b[0m` : line));
}

/**
 * Notebooks written for tslab call `tslab.display.html(…)` and `tslab.newDisplay()`, which
 * write through tslab's own module-level hook; point it at this kernel.
 */
function bridgeTslabDisplay(write: (data: unknown, update: boolean) => void): void {
  try {
    (require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown }).lastWriteDisplayData = write;
  } catch {
    // tslab is not installed where this kernel runs: nothing to bridge
  }
}
