import { randomUUID } from 'node:crypto';
import * as zmq from 'zeromq';
import { GatebookError } from '../util/errors';
import { signalChild } from '../util/signalChild';
import { parseMessage, reply as makeMessage, serialize, type Message } from '../kernel/wire';
import type { LaunchedKernel } from './engines';

const HEARTBEAT_TIMEOUT_MS = Number(process.env.GATEBOOK_HEARTBEAT_TIMEOUT_MS ?? 20_000);

export type Output = Record<string, unknown> & { output_type: string };

export interface ExecutionResult {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  outputs: Output[];
  error?: { ename: string; evalue: string; traceback: string[] };
}

/** The kernel died or stopped answering its heartbeat while a cell ran. */
export class DeadKernelError extends GatebookError {}
/** A cell ran past its timeout. */
export class CellTimeoutError extends GatebookError {}

interface Pending {
  outputs: Output[];
  displays: Map<string, Output>;
  reply?: Record<string, unknown>;
  idle: boolean;
  done: () => void;
  /** Each output as it arrives (a stream chunk, a display, its updates, an error). */
  onOutput?: (output: Output, update: boolean) => void;
}

/**
 * A Jupyter client over ZeroMQ: shell and control as DEALER, iopub as SUB, heartbeat as
 * REQ. Executes one cell at a time and gathers its outputs in nbformat shape; a kernel
 * process that exits, or misses its heartbeat, fails the cell at once.
 */
export class KernelClient {
  private readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ routingId: `gatebook-${randomUUID().slice(0, 8)}` });
  private readonly control = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber();
  // the kernel echoes heartbeats on its event loop: a long synchronous step delays them, so be patient
  private heartbeat = new zmq.Request({ receiveTimeout: HEARTBEAT_TIMEOUT_MS, sendTimeout: HEARTBEAT_TIMEOUT_MS });
  private readonly pending = new Map<string, Pending>();
  private dead: string | null = null;
  private onDeath: Array<(why: string) => void> = [];
  private closed = false;

  constructor(private readonly kernel: LaunchedKernel) {
    kernel.process.on('exit', (code, signal) => this.die(`the kernel process exited (${signal ?? `code ${code}`})`));
    kernel.process.on('error', (e: NodeJS.ErrnoException) => this.die(`the kernel could not be started (${e.code ?? e.message}: ${kernel.process.spawnfile})`));
  }

  async connect(timeoutMs = 60_000): Promise<void> {
    const c = this.kernel.connection;
    const at = (port: number) => `tcp://${c.ip}:${port}`;
    this.shell.connect(at(c.shell_port));
    this.control.connect(at(c.control_port));
    this.iopub.connect(at(c.iopub_port));
    this.iopub.subscribe();
    this.heartbeat.connect(at(c.hb_port));
    void this.receive(this.shell);
    void this.receive(this.iopub);
    void this.receive(this.control);
    const started = Date.now();
    for (;;) {
      if (this.dead) throw new DeadKernelError(`kernel did not start: ${this.dead}\n${this.kernel.stderrTail()}`);
      try {
        await this.request('kernel_info_request', {}, 2000);
        break;
      } catch (e) {
        if (Date.now() - started > timeoutMs) throw new DeadKernelError(`kernel did not answer kernel_info within ${timeoutMs / 1000} s: ${(e as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200)); // let the iopub subscription settle
    void this.beatLoop();
  }

  /** Run one cell; resolves when both its reply and its iopub idle have arrived. */
  async execute(code: string, timeoutMs: number, onOutput?: Pending['onOutput']): Promise<ExecutionResult> {
    const msg = makeMessage(null, 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, this.session);
    const pending = await this.track(msg.header.msg_id, async () => this.shell.send(serialize(msg, this.kernel.connection.key, [])), timeoutMs, true, onOutput);
    const r = pending.reply ?? {};
    const status = (r.status as ExecutionResult['status']) ?? 'error';
    const error = status === 'error' ? { ename: String(r.ename ?? 'Error'), evalue: String(r.evalue ?? ''), traceback: (r.traceback as string[]) ?? [] } : undefined;
    return { status, executionCount: (r.execution_count as number) ?? null, outputs: pending.outputs, error };
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.dead) {
      try {
        const msg = makeMessage(null, 'shutdown_request', { restart: false }, this.session);
        await this.control.send(serialize(msg, this.kernel.connection.key, []));
        await new Promise((r) => setTimeout(r, 300));
      } catch {
        // the kernel is going anyway
      }
    }
    signalChild(this.kernel.process, 'SIGKILL');
    for (const s of [this.shell, this.control, this.iopub, this.heartbeat]) s.close();
  }

  private async request(type: string, content: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const msg = makeMessage(null, type, content, this.session);
    const p = await this.track(msg.header.msg_id, async () => this.shell.send(serialize(msg, this.kernel.connection.key, [])), timeoutMs, false);
    return p.reply ?? {};
  }

  private track(msgId: string, send: () => Promise<void>, timeoutMs: number, waitIdle = true, onOutput?: Pending['onOutput']): Promise<Pending> {
    return new Promise<Pending>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new CellTimeoutError(`no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.pending.delete(msgId);
        this.onDeath = this.onDeath.filter((f) => f !== onDeath);
        fn();
      };
      const onDeath = (why: string) => finish(() => reject(new DeadKernelError(why)));
      const p: Pending = { outputs: [], displays: new Map(), idle: !waitIdle, done: () => finish(() => resolve(p)), onOutput };
      this.pending.set(msgId, p);
      this.onDeath.push(onDeath);
      if (this.dead) return onDeath(this.dead);
      send().catch((e) => finish(() => reject(e)));
    });
  }

  private async receive(socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        const parsed = parseMessage(frames as Buffer[], this.kernel.connection.key);
        if ('message' in parsed) this.dispatch(parsed.message);
      }
    } catch {
      // socket closed
    }
  }

  private dispatch(msg: Message): void {
    const p = this.pending.get(String(msg.parent_header.msg_id ?? ''));
    if (!p) return;
    const type = msg.header.msg_type;
    const c = msg.content;
    if (type.endsWith('_reply')) p.reply = c;
    else if (type === 'status' && c.execution_state === 'idle') p.idle = true;
    else if (type === 'stream') {
      p.onOutput?.({ output_type: 'stream', name: c.name, text: c.text }, false);
      const last = p.outputs.at(-1);
      if (last?.output_type === 'stream' && last.name === c.name) last.text = String(last.text) + String(c.text);
      else p.outputs.push({ output_type: 'stream', name: c.name, text: c.text });
    } else if (type === 'display_data' || type === 'execute_result' || type === 'error') {
      const out: Output = type === 'error' ? { output_type: 'error', ename: c.ename, evalue: c.evalue, traceback: c.traceback }
        : { output_type: type, data: c.data, metadata: c.metadata ?? {}, ...(type === 'execute_result' ? { execution_count: c.execution_count } : {}) };
      p.outputs.push(out);
      p.onOutput?.(out, false);
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      if (id) p.displays.set(id, out);
    } else if (type === 'update_display_data') {
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      const target = id ? p.displays.get(id) : undefined;
      if (target) Object.assign(target, { data: c.data, metadata: c.metadata ?? {} });
      if (target) p.onOutput?.(target, true);
    }
    if (p.reply && p.idle) p.done();
  }

  private async beatLoop(): Promise<void> {
    while (!this.dead && !this.closed) {
      try {
        await this.heartbeat.send('ping');
        await this.heartbeat.receive();
      } catch {
        if (!this.closed) this.die(`the kernel did not answer its heartbeat for ${HEARTBEAT_TIMEOUT_MS / 1000} s`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private die(why: string): void {
    if (this.dead || this.closed) return;
    this.dead = why;
    for (const f of [...this.onDeath]) f(why);
  }
}
