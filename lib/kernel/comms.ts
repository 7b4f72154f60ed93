import { randomUUID } from 'node:crypto';

/**
 * Comms, the Jupyter protocol's channels between kernel-side and frontend-side objects
 * (widgets ride on them): opened from either side, messages both ways, closed by either.
 * The kernel server hands frontend messages in (`handleOpen` / `handleMessage` /
 * `handleClose`) and sends what a comm says through the `Outbox` it was made with.
 */
export interface CommMessage {
  data: Record<string, unknown>;
  buffers: Buffer[];
}

export interface Outbox {
  open(commId: string, target: string, data: Record<string, unknown>, metadata: Record<string, unknown>): void;
  send(commId: string, data: Record<string, unknown>): void;
  close(commId: string, data: Record<string, unknown>): void;
}

export class Comm {
  private listeners: Array<(m: CommMessage) => void> = [];
  private closers: Array<(m: CommMessage) => void> = [];
  closed = false;

  constructor(readonly id: string, readonly target: string, private readonly outbox: Outbox) {}

  send(data: Record<string, unknown>): void {
    if (!this.closed) this.outbox.send(this.id, data);
  }

  close(data: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.close(this.id, data);
  }

  onMessage(listener: (m: CommMessage) => void): void {
    this.listeners.push(listener);
  }

  onClose(listener: (m: CommMessage) => void): void {
    this.closers.push(listener);
  }

  /** @internal a message from the frontend */
  receive(m: CommMessage): void {
    for (const l of this.listeners) l(m);
  }

  /** @internal the frontend closed it */
  closedByFrontend(m: CommMessage): void {
    this.closed = true;
    for (const l of this.closers) l(m);
  }
}

/** What a target does with a comm the frontend opens to it (false: refuse, and the comm is closed at once). */
export type TargetHandler = (comm: Comm, open: CommMessage) => boolean | void;

export class CommManager {
  private readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, TargetHandler>();

  constructor(private readonly outbox: Outbox) {}

  registerTarget(name: string, handler: TargetHandler): void {
    this.targets.set(name, handler);
  }

  /** Open a comm from the kernel. */
  open(target: string, data: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}, id = randomUUID().replace(/-/g, '')): Comm {
    const comm = this.track(new Comm(id, target, this.outbox));
    this.outbox.open(id, target, data, metadata);
    return comm;
  }

  /** Keep a comm (opened by either side) until it is closed. */
  private track(comm: Comm): Comm {
    this.comms.set(comm.id, comm);
    comm.onClose(() => this.comms.delete(comm.id));
    return comm;
  }

  /** The open comms, by id, with their target (`comm_info_request`, optionally filtered by target). */
  info(target?: string): Record<string, { target_name: string }> {
    return Object.fromEntries([...this.comms].filter(([, c]) => !c.closed && (!target || c.target === target)).map(([id, c]) => [id, { target_name: c.target }]));
  }

  handleOpen(content: Record<string, unknown>, buffers: Buffer[]): void {
    const id = String(content.comm_id);
    const target = String(content.target_name);
    const comm = new Comm(id, target, this.outbox);
    const handler = this.targets.get(target);
    const message = { data: (content.data ?? {}) as Record<string, unknown>, buffers };
    if (!handler || handler(comm, message) === false) {
      this.outbox.close(id, {}); // no such target here: the protocol says close it
      return;
    }
    this.track(comm);
  }

  handleMessage(content: Record<string, unknown>, buffers: Buffer[]): void {
    this.comms.get(String(content.comm_id))?.receive({ data: (content.data ?? {}) as Record<string, unknown>, buffers });
  }

  handleClose(content: Record<string, unknown>, buffers: Buffer[]): void {
    const comm = this.comms.get(String(content.comm_id));
    this.comms.delete(String(content.comm_id));
    comm?.closedByFrontend({ data: (content.data ?? {}) as Record<string, unknown>, buffers });
  }
}

const MANAGER = Symbol.for('gatebook.kernel.comms');

/** @internal the kernel installs its manager here; notebook code reaches it through `comms()`. */
export function installCommManager(manager: CommManager | undefined): void {
  (globalThis as Record<symbol, unknown>)[MANAGER] = manager;
}

/** The running kernel's comms, or null outside a kernel (a script, a test). */
export function comms(): CommManager | null {
  return ((globalThis as Record<symbol, unknown>)[MANAGER] as CommManager | undefined) ?? null;
}
