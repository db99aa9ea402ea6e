/**
 * AF_HYPERV sockets on Windows through koffi (ws2_32.dll).
 *
 * Loaded lazily, only when the `hyperv` transport is chosen (the default on win32). It cannot
 * run on Linux; `pnpm test:windows` runs it under Windows Node in Wine, which has no AF_HYPERV:
 * there the tests inject an AF_INET {@link Addressing} (loopback TCP), so the socket, poll,
 * connect, accept, half-close and abort logic below is what runs; `encodeSockaddrHv`
 * (address.ts) is byte-tested on every platform.
 *
 * Approach — no libuv pool thread is parked, per connection or otherwise: every socket is put in
 * non-blocking mode (`ioctlsocket(FIONBIO)`), and ONE poller on the JS thread calls
 * `WSAPoll(fds, n, 0)` (timeout 0: it never blocks) over all open HvSockets. The poller runs on
 * `setImmediate` while there was activity in the last pass and backs off to a 1 → 16 ms timer
 * when idle; it stops (and unrefs) when no socket is open. Readiness drives `accept`, `connect`
 * completion, `recv` into a 64 KiB buffer (pushed to a `Duplex`) and `send` of queued writes.
 * Node's `net.Socket` cannot adopt a Windows SOCKET, hence the Duplex. Cost: up to 16 ms extra
 * latency on the first byte after an idle period.
 */
import { Duplex } from 'node:stream';
import { HcsError } from '../errors.js';
import { loadWinsock, type Sock, type Ws2 } from '../native/winsock.js';
import { abortedError, timeoutError } from '../options.js';
import { AF_HYPERV, encodeSockaddrHv, HV_PROTOCOL_RAW } from './address.js';
import { HvSocketCode, OneShotListener } from './listener.js';

const SOCK_STREAM = 1;
const FIONBIO = 0x8004667e | 0;
const SD_SEND = 1;
const WSAEWOULDBLOCK = 10035;
const WSAEINPROGRESS = 10036;
const POLLRDNORM = 0x0100;
const POLLWRNORM = 0x0010;
const POLLERR = 0x0001;
const POLLHUP = 0x0002;
const POLLNVAL = 0x0004;
const POLLFD_SIZE = 16; // { SOCKET fd (8); SHORT events; SHORT revents; padding 4 } on x64
const INVALID_SOCKET = 0xffffffffffffffffn;

/**
 * How the transport's sockets are addressed: AF_HYPERV and a `SOCKADDR_HV` in production. Tests
 * only inject another family (AF_INET under Wine, which lacks AF_HYPERV); nothing else changes.
 */
export interface Addressing {
  readonly family: number;
  readonly protocol: number;
  /** The sockaddr to bind or connect for (vmId, serviceId). */
  sockaddr(vmId: string, serviceId: string): Buffer;
}

export const HYPERV_ADDRESSING: Addressing = {
  family: AF_HYPERV,
  protocol: HV_PROTOCOL_RAW,
  sockaddr: (vmId, serviceId) => encodeSockaddrHv({ vmId, serviceId }),
};

let ws2: Ws2 | undefined;

async function load(): Promise<Ws2> {
  if (ws2 !== undefined) return ws2;
  const w = await loadWinsock();
  const rc = w.WSAStartup(0x0202, Buffer.alloc(512));
  if (rc !== 0) throw transportError('WSAStartup', rc);
  ws2 = w;
  return ws2;
}

function transportError(call: string, wsaError: number): HcsError {
  return new HcsError(HvSocketCode.TransportFailed, `hvsocket: ${call} failed with WSA error ${wsaError}`, {
    op: call,
  });
}

function newSocket(w: Ws2, addressing: Addressing): Sock {
  const s = BigInt(w.socket(addressing.family, SOCK_STREAM, addressing.protocol));
  if (s === INVALID_SOCKET) throw transportError('socket', w.WSAGetLastError());
  if (w.ioctlsocket(s, FIONBIO, [1]) !== 0) {
    const e = w.WSAGetLastError();
    w.closesocket(s);
    throw transportError('ioctlsocket', e);
  }
  return s;
}

/** One entry of the poll set. */
interface Polled {
  readonly sock: Sock;
  events(): number;
  ready(revents: number): void;
}

const polled = new Set<Polled>();
let pollTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
let idleMs = 1;

function schedule(w: Ws2): void {
  if (pollTimer !== undefined || polled.size === 0) return;
  const run = (): void => {
    pollTimer = undefined;
    const active = pass(w);
    idleMs = active ? 1 : Math.min(16, idleMs * 2);
    if (polled.size === 0) return;
    pollTimer = active ? setImmediate(run) : setTimeout(run, idleMs);
  };
  pollTimer = setImmediate(run);
}

function pass(w: Ws2): boolean {
  // Entries that want nothing (EOF read and no pending write) are not polled: WSAPoll would keep
  // reporting POLLHUP for them and the poller would spin.
  const entries = [...polled].filter((e) => e.events() !== 0);
  if (entries.length === 0) return false;
  const fds = Buffer.alloc(entries.length * POLLFD_SIZE);
  entries.forEach((e, i) => {
    fds.writeBigUInt64LE(e.sock, i * POLLFD_SIZE);
    fds.writeInt16LE(e.events(), i * POLLFD_SIZE + 8);
  });
  const n = w.WSAPoll(fds, entries.length, 0);
  if (n <= 0) return false;
  entries.forEach((e, i) => {
    const revents = fds.readInt16LE(i * POLLFD_SIZE + 10);
    if (revents !== 0 && polled.has(e)) e.ready(revents);
  });
  return true;
}

/** A connected HvSocket as a Duplex. */
class HvStream extends Duplex implements Polled {
  readonly sock: Sock;
  readonly #w: Ws2;
  readonly #buf = Buffer.alloc(0x10000);
  #out: { chunk: Buffer; cb: (err?: Error | null) => void }[] = [];
  #wantRead = false;
  #endPending: ((err?: Error | null) => void) | undefined;

  constructor(w: Ws2, sock: Sock) {
    super({ allowHalfOpen: true });
    this.#w = w;
    this.sock = sock;
    polled.add(this);
    schedule(w);
  }

  events(): number {
    return (this.#wantRead ? POLLRDNORM : 0) | (this.#out.length > 0 ? POLLWRNORM : 0);
  }

  ready(revents: number): void {
    if (revents & (POLLERR | POLLNVAL)) {
      this.destroy(transportError('WSAPoll', this.#w.WSAGetLastError()));
      return;
    }
    if (revents & POLLWRNORM) this.#flush();
    if (revents & (POLLRDNORM | POLLHUP)) this.#readSome();
  }

  override _read(): void {
    this.#wantRead = true;
    schedule(this.#w);
  }

  #readSome(): void {
    while (this.#wantRead) {
      const n = this.#w.recv(this.sock, this.#buf, this.#buf.length, 0);
      if (n === 0) {
        this.#wantRead = false;
        this.push(null);
        return;
      }
      if (n < 0) {
        const e = this.#w.WSAGetLastError();
        if (e !== WSAEWOULDBLOCK) this.destroy(transportError('recv', e));
        return;
      }
      this.#wantRead = this.push(Buffer.from(this.#buf.subarray(0, n)));
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#out.push({ chunk, cb });
    this.#flush();
    schedule(this.#w);
  }

  #flush(): void {
    while (this.#out.length > 0) {
      const head = this.#out[0]!;
      const n = this.#w.send(this.sock, head.chunk, head.chunk.length, 0);
      if (n < 0) {
        const e = this.#w.WSAGetLastError();
        if (e === WSAEWOULDBLOCK) return;
        this.#out.shift();
        head.cb(transportError('send', e));
        return;
      }
      if (n < head.chunk.length) {
        head.chunk = head.chunk.subarray(n);
        return;
      }
      this.#out.shift();
      head.cb();
    }
    const end = this.#endPending;
    if (end !== undefined) {
      this.#endPending = undefined;
      this.#w.shutdown(this.sock, SD_SEND);
      end();
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#endPending = cb;
    this.#flush();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    polled.delete(this);
    this.#w.closesocket(this.sock);
    for (const o of this.#out) o.cb(err ?? new Error('socket destroyed'));
    this.#out = [];
    cb(err);
  }
}

class HyperVListener extends OneShotListener implements Polled {
  readonly transport = 'hyperv' as const;
  readonly path = undefined;
  readonly sock: Sock;
  readonly #w: Ws2;
  #unwatch: (() => void) | undefined;

  constructor(w: Ws2, sock: Sock, vmId: string, serviceId: string) {
    super(vmId, serviceId);
    this.#w = w;
    this.sock = sock;
    polled.add(this);
    schedule(w);
  }

  events(): number {
    return POLLRDNORM;
  }

  ready(): void {
    for (;;) {
      const s = BigInt(this.#w.accept(this.sock, null, null));
      if (s === INVALID_SOCKET) return;
      this.#w.ioctlsocket(s, FIONBIO, [1]);
      this.offer(new HvStream(this.#w, s));
    }
  }

  /** Aborting `signal` closes the listener; a pending accept rejects with `Aborted` (as `unix`). */
  watch(signal: AbortSignal): void {
    const onAbort = (): void => void this.closeWith(abortedError('HvSocketListener', signal.reason));
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unwatch = () => signal.removeEventListener('abort', onAbort);
    }
  }

  protected async shutdown(): Promise<void> {
    this.#unwatch?.();
    polled.delete(this);
    this.#w.closesocket(this.sock);
  }
}

export async function listenHyperV(
  options: {
    vmId: string;
    serviceId: string;
    signal?: AbortSignal | undefined;
  },
  addressing: Addressing = HYPERV_ADDRESSING,
): Promise<OneShotListener> {
  const w = await load();
  const addr = addressing.sockaddr(options.vmId, options.serviceId);
  const s = newSocket(w, addressing);
  if (w.bind(s, addr, addr.length) !== 0 || w.listen(s, 16) !== 0) {
    const e = w.WSAGetLastError();
    w.closesocket(s);
    throw transportError('bind/listen', e);
  }
  const listener = new HyperVListener(w, s, options.vmId, options.serviceId);
  if (options.signal !== undefined) listener.watch(options.signal);
  return listener;
}

export async function dialHyperV(
  options: {
    vmId: string;
    serviceId: string;
    signal?: AbortSignal | undefined;
    timeout?: number | undefined;
  },
  addressing: Addressing = HYPERV_ADDRESSING,
): Promise<Duplex> {
  const w = await load();
  const addr = addressing.sockaddr(options.vmId, options.serviceId);
  const s = newSocket(w, addressing);
  if (w.connect(s, addr, addr.length) !== 0) {
    const e = w.WSAGetLastError();
    if (e !== WSAEWOULDBLOCK && e !== WSAEINPROGRESS) {
      w.closesocket(s);
      throw new HcsError(HvSocketCode.ConnectFailed, `hvsocket.dial: connect failed with WSA error ${e}`, {
        op: 'hvsocket.dial',
      });
    }
  }
  return new Promise<Duplex>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const entry: Polled = {
      sock: s,
      events: () => POLLWRNORM,
      ready: (revents) => {
        settle(
          revents & (POLLERR | POLLHUP | POLLNVAL)
            ? new HcsError(HvSocketCode.ConnectFailed, 'hvsocket.dial: connection refused', {
                op: 'hvsocket.dial',
              })
            : undefined,
        );
      },
    };
    const settle = (err: unknown): void => {
      polled.delete(entry);
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        w.closesocket(s);
        reject(err);
      } else resolve(new HvStream(w, s));
    };
    const onAbort = (): void => settle(abortedError('hvsocket.dial', options.signal?.reason));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const ms = options.timeout;
    if (ms !== undefined) timer = setTimeout(() => settle(timeoutError('hvsocket.dial', ms)), ms);
    polled.add(entry);
    schedule(w);
  });
}
