/**
 * `listen` / `dial` over the emulator's Unix-socket mapping of HvSocket addresses, and the
 * transport-independent listener contract (`accept` exactly once, tied to the VM's exit).
 */
import { existsSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { ClosedError, HcsError, HRESULT, invalidArgument } from '../errors.js';
import { abortedError, checkCallOptions, timeoutError } from '../options.js';
import type { HvSocketAddress } from './address.js';
import { normalizeGuid } from './guid.js';
import { ensureHvsocketDir, hvsocketDir, hvsocketPath } from './path.js';

/** Error codes of this module (besides core's `InvalidArgument`, `Aborted`, `Timeout`, `Closed`). */
export const HvSocketCode = {
  /** Another live listener owns the address. */
  AddressInUse: 'AddressInUse',
  /** `dial` found no listener (or the connection was refused). */
  ConnectFailed: 'ConnectFailed',
  /** `accept` was called a second time (a listener accepts exactly once). */
  AlreadyAccepted: 'AlreadyAccepted',
  /** The platform transport failed (socket, bind, listen). */
  TransportFailed: 'TransportFailed',
} as const;
export type HvSocketCode = (typeof HvSocketCode)[keyof typeof HvSocketCode];

/** Which transport: `unix` = the emulator mapping (default off Windows), `hyperv` = AF_HYPERV. */
export type HvSocketTransport = 'unix' | 'hyperv';

export interface ListenOptions extends HvSocketAddress {
  /** Aborting closes the listener; a pending `accept` rejects with code `Aborted`. */
  signal?: AbortSignal | undefined;
  /** Emulator directory (default {@link hvsocketDir}). */
  dir?: string | undefined;
  transport?: HvSocketTransport | undefined;
}

export interface DialOptions extends HvSocketAddress {
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for the connection. */
  timeout?: number | undefined;
  dir?: string | undefined;
  transport?: HvSocketTransport | undefined;
}

/** Something that exits: a UtilityVM (its `exited` promise) or the promise itself. */
export interface ExitSource {
  readonly exited: PromiseLike<unknown>;
}

export interface AcceptOptions {
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  /** Reject with `HCS_E_UNEXPECTED_EXIT` when this settles first (pass `vm.exited`). */
  exited?: PromiseLike<unknown> | undefined;
  /** Same, from an object with `exited` (e.g. a `UtilityVM`). */
  vm?: ExitSource | undefined;
}

/** A listening HvSocket endpoint that accepts exactly one connection. */
export interface HvSocketListener extends AsyncDisposable {
  readonly vmId: string;
  readonly serviceId: string;
  readonly transport: HvSocketTransport;
  /** The Unix socket path (emulator transport), else `undefined`. */
  readonly path: string | undefined;
  readonly closed: boolean;
  /**
   * Wait for the one connection (one that arrived before the call is taken). The stream is
   * returned PAUSED (nothing is lost before the caller attaches a reader: call `resume()` or
   * pipe it). Whatever happens
   * (connection, VM exit, abort, timeout, close) the listener is closed afterwards.
   */
  accept(options?: AcceptOptions): Promise<Duplex>;
  /** Stop listening (idempotent); a pending accept rejects with `Closed`. */
  close(): Promise<void>;
}

export function defaultTransport(): HvSocketTransport {
  return process.platform === 'win32' ? 'hyperv' : 'unix';
}

/** Start listening at (vmId, serviceId). */
export async function listen(options: ListenOptions): Promise<HvSocketListener> {
  const op = 'hvsocket.listen';
  if (typeof options !== 'object' || options === null) throw invalidArgument(op, 'options must be an object');
  checkCallOptions(op, { signal: options.signal });
  const vmId = normalizeGuid(options.vmId, 'vmId', op);
  const serviceId = normalizeGuid(options.serviceId, 'serviceId', op);
  const transport = options.transport ?? defaultTransport();
  if (transport === 'hyperv') {
    const { listenHyperV } = await import('./windows.js');
    return listenHyperV({ vmId, serviceId, signal: options.signal });
  }
  if (transport !== 'unix') throw invalidArgument(op, `unknown transport ${JSON.stringify(transport)}`);
  return UnixListener.create(vmId, serviceId, options.dir ?? hvsocketDir(), options.signal);
}

/** Connect to (vmId, serviceId). Used by guest-side code and tests; the host normally listens. */
export async function dial(options: DialOptions): Promise<Duplex> {
  const op = 'hvsocket.dial';
  if (typeof options !== 'object' || options === null) throw invalidArgument(op, 'options must be an object');
  checkCallOptions(op, options);
  const vmId = normalizeGuid(options.vmId, 'vmId', op);
  const serviceId = normalizeGuid(options.serviceId, 'serviceId', op);
  const transport = options.transport ?? defaultTransport();
  if (transport === 'hyperv') {
    const { dialHyperV } = await import('./windows.js');
    return dialHyperV({ vmId, serviceId, signal: options.signal, timeout: options.timeout });
  }
  const path = hvsocketPath({ vmId, serviceId }, options.dir ?? hvsocketDir());
  checkPathLength(op, path);
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect(path);
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(
        new HcsError(HvSocketCode.ConnectFailed, `${op} (${vmId}, ${serviceId}) failed: ${err.message}`, {
          op,
          cause: err,
        }),
      );
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(abortedError(op, options.signal?.reason));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeout !== undefined) {
      const ms = options.timeout;
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(timeoutError(op, ms));
      }, ms);
    }
  });
}

/**
 * Is something listening at `path`? On Linux, read /proc/net/unix (a listening socket has the
 * SO_ACCEPTCON flag 0x10000) so that no connection is made: a probe connection would be queued
 * by a live listener as if it were the guest. Elsewhere, connect and see (a leftover file of a
 * dead process answers ECONNREFUSED).
 */
async function isListening(path: string): Promise<boolean> {
  let table: string | undefined;
  try {
    table = await readFile('/proc/net/unix', 'utf8');
  } catch {
    table = undefined;
  }
  if (table === undefined) return probe(path);
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (
      cols.length >= 8 &&
      cols.slice(7).join(' ') === path &&
      (Number.parseInt(cols[3] ?? '0', 16) & 0x10000) !== 0
    ) {
      return true;
    }
  }
  return false;
}

/** Unix socket paths are limited to 107 bytes (sun_path); longer ones would be truncated silently. */
export const MAX_SOCKET_PATH_BYTES = 107;

function checkPathLength(op: string, path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw invalidArgument(
      op,
      `the emulator socket path ${JSON.stringify(path)} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; set UVMKIT_HVSOCK_DIR to a shorter directory`,
    );
  }
}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface Waiter {
  resolve(socket: Duplex): void;
  reject(err: unknown): void;
}

/**
 * Shared accept bookkeeping: connections that arrive before `accept` are queued (paused); the
 * first one is handed out and every other is destroyed; the listener closes after one accept.
 */
export abstract class OneShotListener implements HvSocketListener {
  readonly vmId: string;
  readonly serviceId: string;
  abstract readonly transport: HvSocketTransport;
  abstract readonly path: string | undefined;
  #queue: Duplex[] = [];
  #waiter: Waiter | undefined;
  #accepting = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #closeReason: unknown;

  constructor(vmId: string, serviceId: string) {
    this.vmId = vmId;
    this.serviceId = serviceId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal The transport calls this for each inbound connection. */
  protected offer(socket: Duplex): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve(socket);
      return;
    }
    socket.pause();
    this.#queue.push(socket);
  }

  /** @internal Release the transport resources (stop listening, remove the socket file). */
  protected abstract shutdown(): Promise<void>;

  protected closeWith(reason: unknown): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#closeReason = reason;
    for (const s of this.#queue) s.destroy();
    this.#queue = [];
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(reason);
    this.#closing = this.shutdown();
    return this.#closing;
  }

  close(): Promise<void> {
    return this.closeWith(new ClosedError(`HvSocket listener (${this.vmId}, ${this.serviceId})`, 'accept'));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  accept(options: AcceptOptions = {}): Promise<Duplex> {
    const op = 'HvSocketListener.accept';
    try {
      checkCallOptions(op, options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#accepting) {
      return Promise.reject(
        new HcsError(HvSocketCode.AlreadyAccepted, `${op}: a listener accepts exactly once`, { op }),
      );
    }
    if (this.#closed) return Promise.reject(this.#closeReason);
    this.#accepting = true;
    const exited = options.exited ?? options.vm?.exited;
    if (exited !== undefined && typeof exited.then !== 'function') {
      return Promise.reject(invalidArgument(op, 'exited must be a promise'));
    }
    const { signal, timeout } = options;
    return new Promise<Duplex>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, socket?: Duplex): void => {
        if (done) {
          socket?.destroy();
          return;
        }
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (socket !== undefined) {
          void this.closeWith(new ClosedError(`HvSocket listener (${this.vmId}, ${this.serviceId})`, op));
          resolve(socket);
        } else {
          void this.closeWith(err);
          reject(err);
        }
      };
      const onAbort = (): void => finish(abortedError(op, signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) timer = setTimeout(() => finish(timeoutError(op, timeout)), timeout);
      exited?.then(
        (status) =>
          finish(
            new HcsError(
              'HCS_E_UNEXPECTED_EXIT',
              `${op}: the VM exited before the guest connected to (${this.vmId}, ${this.serviceId})`,
              { op, hresult: HRESULT.HCS_E_UNEXPECTED_EXIT, cause: status },
            ),
          ),
        (err: unknown) => finish(err),
      );
      const queued = this.#queue.shift();
      if (queued !== undefined) {
        finish(undefined, queued);
        return;
      }
      this.#waiter = { resolve: (s) => finish(undefined, s), reject: (e) => finish(e) };
    });
  }
}

class UnixListener extends OneShotListener {
  readonly transport = 'unix' as const;
  readonly path: string;
  readonly #server: Server;

  private constructor(vmId: string, serviceId: string, path: string, server: Server) {
    super(vmId, serviceId);
    this.path = path;
    this.#server = server;
    server.on('connection', (s) => this.offer(s));
  }

  static async create(
    vmId: string,
    serviceId: string,
    dir: string,
    signal: AbortSignal | undefined,
  ): Promise<UnixListener> {
    const op = 'hvsocket.listen';
    const path = hvsocketPath({ vmId, serviceId }, dir);
    ensureHvsocketDir(dirname(path));
    checkPathLength(op, path);
    if (existsSync(path)) {
      if (await isListening(path)) {
        throw new HcsError(
          HvSocketCode.AddressInUse,
          `${op}: (${vmId}, ${serviceId}) is already listened on`,
          {
            op,
          },
        );
      }
      try {
        unlinkSync(path);
      } catch {
        // raced with another cleanup: listen below reports a real conflict
      }
    }
    const server = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const inUse = err.code === 'EADDRINUSE';
        reject(
          new HcsError(
            inUse ? HvSocketCode.AddressInUse : HvSocketCode.TransportFailed,
            `${op}: (${vmId}, ${serviceId}) at ${path}: ${err.message}`,
            { op, cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const listener = new UnixListener(vmId, serviceId, path, server);
    if (signal !== undefined) {
      const onAbort = (): void => void listener.closeWith(abortedError('HvSocketListener', signal.reason));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      server.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return listener;
  }

  protected shutdown(): Promise<void> {
    // Stop listening now (the handle closes and libuv removes the socket file); do not wait for
    // the server's 'close' event, which waits for the accepted connection to end as well.
    this.#server.close(() => {});
    return new Promise((resolve) => setImmediate(resolve));
  }
}
