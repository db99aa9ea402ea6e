/**
 * A small QMP client (the QEMU Machine Protocol over a Unix socket): the greeting and
 * `qmp_capabilities` handshake, commands matched to replies by `id`, per-command timeouts and
 * AbortSignals, and events delivered to listeners. A QMP error reply becomes an `HcsdFailure`
 * whose message carries QMP's `class` and `desc`; a lost connection fails every pending command.
 */
import { createConnection, type Socket } from 'node:net';
import { HcsdFailure, HR } from '../../errors.js';

export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  readonly version: { qemu: { major: number; minor: number; micro: number }; package: string };
  readonly capabilities: unknown[];
}

export interface QmpCommandOptions {
  /** Milliseconds until the command fails with a timeout (default: the client's). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A QMP error reply: `{"error": {"class", "desc"}}`. */
export class QmpError extends HcsdFailure {
  readonly qmpClass: string;
  readonly desc: string;
  readonly command: string;

  constructor(command: string, qmpClass: string, desc: string, hresult: number = HR.E_FAIL) {
    super(hresult, `QEMU ${command}: ${qmpClass}: ${desc}`);
    this.qmpClass = qmpClass;
    this.desc = desc;
    this.command = command;
  }
}

interface Pending {
  readonly command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  cleanup(): void;
}

export type EventListener = (event: QmpEvent) => void;

const MAX_LINE = 16 << 20;

export class QmpClient {
  #socket: Socket | undefined;
  #buf = '';
  #nextId = 1;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners = new Set<EventListener>();
  readonly #closeListeners = new Set<(err: Error | undefined) => void>();
  #greeting: QmpGreeting | undefined;
  #onGreeting: ((g: QmpGreeting) => void) | undefined;
  #closed: Error | undefined;
  readonly #defaultTimeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#defaultTimeoutMs = options.timeoutMs ?? 30_000;
  }

  get greeting(): QmpGreeting | undefined {
    return this.#greeting;
  }

  get connected(): boolean {
    return this.#socket !== undefined && this.#closed === undefined;
  }

  /** Connect to `path`, read the greeting and negotiate capabilities. */
  async connect(path: string, options: QmpCommandOptions = {}): Promise<QmpGreeting> {
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path);
      const onErr = (e: Error) => {
        s.destroy();
        reject(new HcsdFailure(HR.E_FAIL, `QMP connect ${path}: ${e.message}`));
      };
      s.once('error', onErr);
      s.once('connect', () => {
        s.off('error', onErr);
        resolve(s);
      });
    });
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.#fail(
        // QEMU exiting can reset the connection instead of closing it.
        e.code === 'ECONNRESET' || e.code === 'EPIPE'
          ? new HcsdFailure(HR.E_FAIL, 'QMP connection closed (QEMU exited)')
          : new HcsdFailure(HR.E_FAIL, `QMP connection: ${e.message}`),
      ),
    );
    socket.on('close', () => this.#fail(new HcsdFailure(HR.E_FAIL, 'QMP connection closed (QEMU exited)')));
    const greeting = await this.#wait<QmpGreeting>(
      'greeting',
      (resolve) => {
        if (this.#greeting) resolve(this.#greeting);
        else this.#onGreeting = resolve;
      },
      timeoutMs,
      options.signal,
    );
    await this.execute('qmp_capabilities', undefined, options);
    return greeting;
  }

  onEvent(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called once when the connection ends (undefined error: closed by `close()`). */
  onClose(listener: (err: Error | undefined) => void): void {
    this.#closeListeners.add(listener);
  }

  /** Resolve on the first event named `name` for which `match` holds. */
  waitEvent(
    name: string,
    match: (data: Record<string, unknown>) => boolean,
    options: QmpCommandOptions = {},
  ): Promise<QmpEvent> {
    let off: (() => void) | undefined;
    return this.#wait<QmpEvent>(
      `event ${name}`,
      (resolve) => {
        off = this.onEvent((e) => {
          if (e.event === name && match(e.data)) resolve(e);
        });
      },
      options.timeoutMs ?? this.#defaultTimeoutMs,
      options.signal,
      () => off?.(),
    );
  }

  /** Run one command; resolves with its `return` value. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    options: QmpCommandOptions = {},
  ): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const socket = this.#socket;
    if (!socket) return Promise.reject(new HcsdFailure(HR.E_FAIL, `QMP ${command}: not connected`));
    const id = `u${this.#nextId++}`;
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) {
        reject(new HcsdFailure(HR.ERROR_CANCELLED, `QMP ${command}: cancelled`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        cleanup();
        reject(new HcsdFailure(HR.E_FAIL, `QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        this.#pending.delete(id);
        cleanup();
        reject(new HcsdFailure(HR.ERROR_CANCELLED, `QMP ${command}: cancelled`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, cleanup });
      const msg: Record<string, unknown> = { execute: command, id };
      if (args !== undefined) msg.arguments = args;
      socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Close the connection; pending commands fail. */
  close(): void {
    if (!this.#closed) this.#fail(undefined);
    this.#socket?.destroy();
  }

  #wait<T>(
    what: string,
    arm: (resolve: (v: T) => void) => void,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    disarm?: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closed);
        return;
      }
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#closeListeners.delete(onClose);
        disarm?.();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new HcsdFailure(HR.E_FAIL, `QMP: no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const onAbort = () =>
        finish(() => reject(new HcsdFailure(HR.ERROR_CANCELLED, `QMP: waiting for ${what}: cancelled`)));
      const onClose = (err: Error | undefined) =>
        finish(() => reject(err ?? new HcsdFailure(HR.E_FAIL, `QMP: closed while waiting for ${what}`)));
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#closeListeners.add(onClose);
      arm((v) => finish(() => resolve(v)));
    });
  }

  #onData(chunk: string): void {
    this.#buf += chunk;
    if (this.#buf.length > MAX_LINE) {
      this.#fail(new HcsdFailure(HR.E_FAIL, 'QMP: a message longer than 16 MiB'));
      this.#socket?.destroy();
      return;
    }
    for (;;) {
      const nl = this.#buf.indexOf('\n');
      if (nl < 0) return;
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (line) this.#onMessage(line);
    }
  }

  #onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg.QMP && typeof msg.QMP === 'object') {
      this.#greeting = msg.QMP as QmpGreeting;
      this.#onGreeting?.(this.#greeting);
      this.#onGreeting = undefined;
      return;
    }
    if (typeof msg.event === 'string') {
      const event: QmpEvent = {
        event: msg.event,
        data: (msg.data as Record<string, unknown> | undefined) ?? {},
        ...(msg.timestamp ? { timestamp: msg.timestamp as QmpEvent['timestamp'] & object } : {}),
      };
      for (const l of [...this.#listeners]) l(event);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.#pending.get(id);
    if (!p || id === undefined) return;
    this.#pending.delete(id);
    p.cleanup();
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: unknown; desc?: unknown };
      p.reject(new QmpError(p.command, String(e.class ?? 'GenericError'), String(e.desc ?? '')));
    } else {
      p.resolve(msg.return);
    }
  }

  #fail(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = err ?? new HcsdFailure(HR.E_FAIL, 'QMP connection closed');
    for (const p of this.#pending.values()) {
      p.cleanup();
      p.reject(this.#closed);
    }
    this.#pending.clear();
    for (const l of [...this.#closeListeners]) l(err);
    this.#closeListeners.clear();
  }
}
