/**
 * The host half of the HvSocket relay (PROTOCOL-RELAY.md): one virtio-serial port per VM carries
 * every HvSocket stream between hcsd and the guest's `uvmkit-relay`. hcsd is the chardev socket's
 * client (QEMU is the server); on every (re)connect it writes PAD + SYNC with a fresh nonce and
 * discards guest bytes until the HELLO answering it (bytes in flight are lost when the host side
 * reconnects, qemu.md §8). After a sync every stream of the previous connection is gone and the
 * guest's HELLO lists the services it listens for.
 *
 * Bridging (`<dir>/<runtimeId>-<serviceGuid>.sock`, the emulator's HvSocket addressing):
 * - guest OPEN(service) → connect to that Unix path (the host's listener, e.g. hcs-core's GCS
 *   listener), answered OPEN_OK or OPEN_FAIL;
 * - guest LISTEN(service) → a Unix listener at that path; each accepted connection is a stream
 *   opened toward the guest.
 *
 * Faces an untrusted guest: every frame is shape-checked, every count and buffer is bounded, and a
 * protocol violation resets the relay connection (all streams, then a resync); it never throws out.
 * Does not own: QEMU, the chardev's creation, the guest agent's protocol on top of the streams.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  bytesToGuid,
  encodeFrame,
  encodeHeader,
  encodeOpenFail,
  encodeSync,
  FrameType,
  guidToBytes,
  type HelloFrame,
  MAX_LISTENERS,
  MAX_PAYLOAD,
  MAX_STREAMS,
  OpenFailCode,
  RelayDecoder,
  type RelayFrame,
  RelayProtocolError,
  u32,
  WINDOW,
} from './relay-frame.js';

export interface RelayLogger {
  info(m: string): void;
  error(m: string, e?: unknown): void;
}

export interface RelayHostOptions {
  /** The chardev's Unix socket (QEMU listens, `server=on,wait=off`). */
  chardevPath: string;
  /** `$UVMKIT_HVSOCK_DIR`: where the HvSocket Unix endpoints live. */
  hvsockDir: string;
  /** The VM's runtime id (the HvSocket VmId). */
  runtimeId: string;
  logger: RelayLogger;
}

export type StreamDirection = 'guest-to-host' | 'host-to-guest';

export interface RelayStreamInspection {
  readonly id: number;
  readonly service: string;
  /** Who opened it: the guest dialing a host service, or a host client dialing a guest listener. */
  readonly direction: StreamDirection;
  readonly state: 'opening' | 'open' | 'closing';
  /** Guest → host payload bytes. */
  readonly bytesIn: number;
  /** Host → guest payload bytes. */
  readonly bytesOut: number;
  /** What the guest may still send before it needs credit. */
  readonly guestCredit: number;
  /** What the host may still send before it needs credit. */
  readonly hostCredit: number;
  /** Bytes hcsd holds for the stream: guest data not yet taken by the local socket, local data not yet sent. */
  readonly hostBuffered: number;
}

export interface RelayInspection {
  readonly connected: boolean;
  readonly synced: boolean;
  /** Completed syncs (the first one included). */
  readonly resyncs: number;
  readonly protocolErrors: number;
  readonly streams: readonly RelayStreamInspection[];
  readonly listeners: readonly { readonly service: string; readonly path: string }[];
}

export interface RelayEvents {
  /** The guest relay answered a SYNC: streams can be opened. */
  'guest-hello': [hello: HelloFrame];
  /** The chardev connection dropped or was resynced: every stream is gone. */
  'sync-lost': [reason: string];
}

/** Guest-opened streams whose host connect is still in progress. */
const MAX_PENDING_OPENS = 16;
const OPEN_TIMEOUT_MS = 10_000;
/** Stop reading local sockets while this much is queued toward the guest. */
const OUT_SOFT = 256 * 1024;
/** Stop reading the guest while this much is queued toward it (it is not reading). */
const OUT_HARD = 1024 * 1024;
const CREDIT_BATCH = 64 * 1024;
/** DATA payloads up to this size are copied behind their header (cheaper than a second chunk). */
const COPY_MAX = 4096;
/** sockaddr_un.sun_path holds 108 bytes with the NUL. */
const MAX_UNIX_PATH = 107;
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2_000;
const SYNC_RETRY_MS = [1_000, 2_000, 5_000] as const;

interface Stream {
  readonly id: number;
  readonly service: string;
  readonly direction: StreamDirection;
  state: 'connecting' | 'opening' | 'open';
  socket: Socket;
  credit: number;
  rwin: number;
  unacked: number;
  /** Local bytes read but not yet sent (no credit, or the port is congested). */
  held: Buffer[];
  localEnded: boolean;
  /** The local socket is closed after a clean EOF: nothing more can be delivered to it. */
  localGone: boolean;
  errored: boolean;
  closeSent: boolean;
  peerClosed: boolean;
  dead: boolean;
  bytesIn: number;
  bytesOut: number;
  timer: NodeJS.Timeout | undefined;
}

interface Listener {
  readonly service: string;
  readonly path: string;
  server: Server | undefined;
  listening: boolean;
  /** Settles once the listen succeeded or was given up. */
  readonly ready: Promise<void>;
  settle: () => void;
}

export class RelayHost {
  readonly events = new EventEmitter<RelayEvents>();
  readonly #o: RelayHostOptions;
  #socket: Socket | undefined;
  #connected = false;
  #synced = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #decoder = new RelayDecoder();
  #streams = new Map<number, Stream>();
  #listeners = new Map<string, Listener>();
  #nextId = 2;
  #lastGuestId = 0;
  #resyncs = 0;
  #protocolErrors = 0;
  #backoff = RECONNECT_MIN_MS;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #syncTries = 0;
  #corked = false;
  #loggedConnectError = false;

  constructor(opts: RelayHostOptions) {
    this.#o = { ...opts, runtimeId: opts.runtimeId.toLowerCase() };
  }

  start(): void {
    if (this.#closed || this.#socket !== undefined || this.#reconnectTimer !== undefined) return;
    this.#connect();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  inspect(): RelayInspection {
    return {
      connected: this.#connected,
      synced: this.#synced,
      resyncs: this.#resyncs,
      protocolErrors: this.#protocolErrors,
      streams: [...this.#streams.values()].map((s) => ({
        id: s.id,
        service: s.service,
        direction: s.direction,
        state: s.state === 'open' ? (s.closeSent || s.peerClosed ? 'closing' : 'open') : 'opening',
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        guestCredit: s.rwin,
        hostCredit: s.credit,
        hostBuffered: s.socket.writableLength + s.held.reduce((n, b) => n + b.length, 0),
      })),
      listeners: [...this.#listeners.values()].map((l) => ({ service: l.service, path: l.path })),
    };
  }

  // ---- the chardev connection ----

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    const sock = createConnection({ path: this.#o.chardevPath });
    this.#socket = sock;
    sock.on('connect', () => {
      this.#connected = true;
      this.#loggedConnectError = false;
      this.#o.logger.info(`relay: connected to ${this.#o.chardevPath}`);
      this.#sendSync();
    });
    sock.on('data', (chunk: Buffer) => this.#onPortData(chunk));
    sock.on('drain', () => this.#onDrain());
    sock.on('error', (e) => {
      if (this.#connected || !this.#loggedConnectError) this.#o.logger.error('relay: chardev socket', e);
      if (!this.#connected) this.#loggedConnectError = true;
    });
    sock.on('close', () => {
      if (this.#socket !== sock) return;
      const was = this.#connected;
      this.#socket = undefined;
      this.#connected = false;
      this.#clearSyncTimer();
      this.#lostSync('chardev connection closed');
      if (this.#closed) return;
      if (was) this.#o.logger.info('relay: chardev connection closed; reconnecting');
      this.#reconnectTimer = setTimeout(() => this.#connect(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, RECONNECT_MAX_MS);
    });
  }

  #write(frame: Buffer): void {
    const sock = this.#socket;
    if (sock === undefined || !this.#connected) return;
    if (!this.#corked) {
      this.#corked = true;
      sock.cork();
      process.nextTick(() => {
        this.#corked = false;
        sock.uncork();
      });
    }
    sock.write(frame);
    if (sock.writableLength > OUT_HARD) sock.pause();
  }

  #congested(): boolean {
    return (this.#socket?.writableLength ?? 0) > OUT_SOFT;
  }

  #onDrain(): void {
    this.#socket?.resume();
    for (const s of this.#streams.values()) this.#pump(s);
  }

  #sendSync(): void {
    const nonce = randomBytes(8);
    this.#synced = false;
    this.#decoder.expect(nonce);
    this.#write(encodeSync(nonce));
    this.#clearSyncTimer();
    const delay = SYNC_RETRY_MS[Math.min(this.#syncTries, SYNC_RETRY_MS.length - 1)]!;
    this.#syncTries++;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (this.#connected && !this.#synced && !this.#congested()) this.#sendSync();
    }, delay);
  }

  #clearSyncTimer(): void {
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
  }

  /** Every stream of the connection is gone (disconnect, resync, protocol error). */
  #lostSync(reason: string): void {
    const had = this.#synced || this.#streams.size > 0;
    this.#synced = false;
    for (const s of [...this.#streams.values()]) this.#drop(s, false);
    this.#nextId = 2;
    this.#lastGuestId = 0;
    if (had) this.events.emit('sync-lost', reason);
  }

  #resync(reason: string): void {
    this.#lostSync(reason);
    this.#syncTries = 0;
    this.#sendSync();
  }

  #protocolError(why: string): void {
    this.#protocolErrors++;
    this.#o.logger.error(`relay: guest protocol error (${why}); resetting the relay connection`);
    this.#resync(`protocol error: ${why}`);
  }

  #onPortData(chunk: Buffer): void {
    try {
      this.#decoder.push(
        chunk,
        (f) => this.#onFrame(f),
        (h) => this.#onHello(h),
      );
    } catch (e) {
      if (!(e instanceof RelayProtocolError)) throw e;
      this.#protocolError(e.message);
    }
  }

  #onHello(h: HelloFrame): void {
    this.#clearSyncTimer();
    this.#synced = true;
    this.#syncTries = 0;
    this.#backoff = RECONNECT_MIN_MS;
    this.#resyncs++;
    if (h.version !== 1) this.#o.logger.error(`relay: guest speaks relay version ${h.version}`);
    const wanted = new Set(h.listeners);
    for (const l of [...this.#listeners.values()]) if (!wanted.has(l.service)) this.#unlisten(l.service);
    for (const g of wanted) this.#listen(g);
    this.#o.logger.info(`relay: guest relay synced (${wanted.size} listener(s))`);
    this.events.emit('guest-hello', h);
  }

  #onFrame(f: RelayFrame): void {
    switch (f.type) {
      case FrameType.Hello:
        throw new RelayProtocolError('HELLO without a SYNC');
      case FrameType.Resync:
        this.#o.logger.info(`relay: guest asks for a resync (${f.payload.toString('latin1')})`);
        this.#resync('guest asked for a resync');
        return;
      case FrameType.Listen:
        if (!this.#listeners.has(bytesToGuid(f.payload)) && this.#listeners.size >= MAX_LISTENERS)
          throw new RelayProtocolError('too many listeners');
        this.#listen(bytesToGuid(f.payload));
        return;
      case FrameType.Unlisten:
        this.#unlisten(bytesToGuid(f.payload));
        return;
      case FrameType.Open:
        this.#guestOpen(f.stream, bytesToGuid(f.payload));
        return;
    }
    const s = this.#streams.get(f.stream);
    if (s === undefined) {
      const stale = f.stream & 1 ? f.stream <= this.#lastGuestId : f.stream < this.#nextId;
      if (stale) return; // crossed a RESET or the end of the stream
      throw new RelayProtocolError(`frame for stream ${f.stream} that was never opened`);
    }
    switch (f.type) {
      case FrameType.OpenOk:
        if (s.state !== 'opening') throw new RelayProtocolError('OPEN_OK for a stream that is not opening');
        this.#opened(s);
        return;
      case FrameType.OpenFail:
        if (s.state !== 'opening') throw new RelayProtocolError('OPEN_FAIL for a stream that is not opening');
        this.#o.logger.info(
          `relay: guest refused stream ${s.id} to ${s.service}: ${f.payload.subarray(4).toString('latin1')}`,
        );
        this.#drop(s, false);
        return;
      case FrameType.Data:
        this.#guestData(s, f.payload);
        return;
      case FrameType.Credit: {
        if (s.state !== 'open') throw new RelayProtocolError('CREDIT before the stream is open');
        const v = f.payload.readUInt32LE(0);
        if (s.credit + v > WINDOW) throw new RelayProtocolError('CREDIT beyond the window');
        s.credit += v;
        this.#pump(s);
        return;
      }
      case FrameType.Close:
        if (s.state !== 'open') throw new RelayProtocolError('CLOSE before the stream is open');
        if (s.peerClosed) throw new RelayProtocolError('second CLOSE');
        s.peerClosed = true;
        if (!s.localGone) s.socket.end();
        this.#settle(s);
        return;
      case FrameType.Reset:
        this.#drop(s, false);
        return;
    }
  }

  // ---- streams ----

  #newStream(id: number, service: string, direction: StreamDirection, socket: Socket): Stream {
    const s: Stream = {
      id,
      service,
      direction,
      state: direction === 'guest-to-host' ? 'connecting' : 'opening',
      socket,
      credit: 0,
      rwin: 0,
      unacked: 0,
      held: [],
      localEnded: false,
      localGone: false,
      errored: false,
      closeSent: false,
      peerClosed: false,
      dead: false,
      bytesIn: 0,
      bytesOut: 0,
      timer: undefined,
    };
    this.#streams.set(id, s);
    return s;
  }

  /**
   * The local socket closing resets the stream, unless it ended cleanly (EOF read): then what it
   * left is still sent, CLOSE after it, and only DATA toward it resets the stream.
   */
  #watch(s: Stream): void {
    s.socket.on('error', () => {
      s.errored = true;
    });
    s.socket.on('close', () => {
      if (s.dead) return;
      if (s.localEnded && !s.errored) {
        s.localGone = true;
        this.#pump(s);
        return;
      }
      this.#drop(s, true);
    });
  }

  #guestOpen(id: number, service: string): void {
    if (id <= this.#lastGuestId) throw new RelayProtocolError('OPEN with a stream id that is not new');
    this.#lastGuestId = id;
    if (this.#streams.size >= MAX_STREAMS) {
      this.#write(encodeOpenFail(id, OpenFailCode.Limit, 'too many streams'));
      return;
    }
    let pending = 0;
    for (const s of this.#streams.values()) if (s.state === 'connecting') pending++;
    if (pending >= MAX_PENDING_OPENS) {
      this.#write(encodeOpenFail(id, OpenFailCode.Limit, 'too many opens in progress'));
      return;
    }
    const path = this.#path(service);
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
      this.#write(
        encodeOpenFail(id, OpenFailCode.Internal, `hvsock path longer than ${MAX_UNIX_PATH} bytes`),
      );
      return;
    }
    const sock = createConnection({ path, allowHalfOpen: true });
    sock.pause();
    const s = this.#newStream(id, service, 'guest-to-host', sock);
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (s.dead) return;
      s.dead = true;
      clearTimeout(s.timer);
      this.#streams.delete(id);
      const code =
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? OpenFailCode.Refused : OpenFailCode.Internal;
      this.#write(encodeOpenFail(id, code, `${e.code ?? 'error'}: no host listener for ${service}`));
    });
    s.timer = setTimeout(() => {
      if (s.dead || s.state !== 'connecting') return;
      s.dead = true;
      this.#streams.delete(id);
      sock.destroy();
      this.#write(encodeOpenFail(id, OpenFailCode.Timeout, `connecting to ${service} timed out`));
    }, OPEN_TIMEOUT_MS);
    sock.once('connect', () => {
      if (s.dead) return;
      clearTimeout(s.timer);
      sock.removeAllListeners('error');
      this.#watch(s);
      this.#write(encodeFrame(FrameType.OpenOk, id));
      this.#opened(s);
    });
  }

  /** The stream is open both ways: start moving bytes. */
  #opened(s: Stream): void {
    clearTimeout(s.timer);
    s.state = 'open';
    s.credit = WINDOW;
    s.rwin = WINDOW;
    s.socket.on('data', (chunk: Buffer) => {
      s.held.push(chunk);
      this.#pump(s);
    });
    s.socket.on('end', () => {
      s.localEnded = true;
      this.#pump(s);
    });
    s.socket.resume();
  }

  /** Send held local bytes as far as credit and the port allow; CLOSE after the local end. */
  #pump(s: Stream): void {
    if (s.dead || s.state !== 'open') return;
    while (s.held.length > 0 && s.credit > 0 && !this.#congested()) {
      const head = s.held[0]!;
      const n = Math.min(head.length, s.credit, MAX_PAYLOAD);
      const payload = n === head.length ? head : head.subarray(0, n);
      if (n <= COPY_MAX) {
        this.#write(encodeFrame(FrameType.Data, s.id, payload));
      } else {
        // header and payload go out as two buffers of one corked writev: no copy of the payload
        this.#write(encodeHeader(FrameType.Data, s.id, n));
        this.#write(payload);
      }
      s.credit -= n;
      s.bytesOut += n;
      if (n === head.length) s.held.shift();
      else s.held[0] = head.subarray(n);
    }
    if (s.held.length > 0) {
      s.socket.pause();
      return;
    }
    if (s.localEnded && !s.closeSent) {
      s.closeSent = true;
      this.#write(encodeFrame(FrameType.Close, s.id));
      this.#settle(s);
      return;
    }
    if (!s.localEnded && this.#connected && !this.#congested()) s.socket.resume();
    else if (this.#congested()) s.socket.pause();
  }

  #guestData(s: Stream, payload: Buffer): void {
    if (s.state !== 'open') throw new RelayProtocolError('DATA before the stream is open');
    if (s.peerClosed) throw new RelayProtocolError('DATA after CLOSE');
    if (payload.length > s.rwin) throw new RelayProtocolError('DATA beyond the granted credit');
    if (s.localGone || s.socket.destroyed) {
      this.#drop(s, true); // nobody to deliver it to
      return;
    }
    s.rwin -= payload.length;
    s.bytesIn += payload.length;
    const n = payload.length;
    s.socket.write(payload, (err) => {
      if (err !== undefined && err !== null) return;
      if (s.dead) return;
      s.unacked += n;
      if (s.unacked >= CREDIT_BATCH) {
        this.#write(encodeFrame(FrameType.Credit, s.id, u32(s.unacked)));
        s.rwin += s.unacked;
        s.unacked = 0;
      }
    });
  }

  /** Both directions closed: forget the stream (the local socket finishes on its own). */
  #settle(s: Stream): void {
    if (s.closeSent && s.peerClosed && !s.dead) {
      s.dead = true;
      this.#streams.delete(s.id);
    }
  }

  /** Drop a stream; `notify` tells the guest (RESET). */
  #drop(s: Stream, notify: boolean): void {
    if (s.dead) return;
    s.dead = true;
    clearTimeout(s.timer);
    this.#streams.delete(s.id);
    if (notify && this.#synced) this.#write(encodeFrame(FrameType.Reset, s.id, u32(0)));
    s.socket.destroy();
  }

  // ---- listeners for host clients dialing the guest ----

  #path(service: string): string {
    // The emulator's HvSocket addressing (hcs-core hvsocket/path.ts, hcsd guest/address.ts).
    return join(this.#o.hvsockDir, `${this.#o.runtimeId}-${service.toLowerCase()}.sock`);
  }

  #listen(service: string): void {
    if (this.#listeners.has(service) || this.#closed) return;
    const path = this.#path(service);
    let settle = () => {};
    const ready = new Promise<void>((r) => {
      settle = r;
    });
    const l: Listener = { service, path, server: undefined, listening: false, ready, settle };
    this.#listeners.set(service, l);
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
      // libuv would truncate it silently: a socket nobody could dial by its name
      this.#o.logger.error(
        `relay: ${path} is longer than ${MAX_UNIX_PATH} bytes; not listening for ${service}`,
      );
      l.settle();
      return;
    }
    const current = () => this.#listeners.get(service) === l && !this.#closed;
    const attempt = (retry: boolean) => {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) =>
        this.#hostDial(service, sock),
      );
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (retry && e.code === 'EADDRINUSE') {
          // Replace the file only when nobody answers on it (a stale socket of an earlier hcsd).
          const probe = createConnection({ path });
          probe.on('connect', () => {
            probe.destroy();
            this.#o.logger.error(`relay: ${path} is served by someone else; not listening for ${service}`);
            l.settle();
          });
          probe.on('error', () => {
            try {
              unlinkSync(path);
            } catch {}
            if (current()) attempt(false);
            else l.settle();
          });
          return;
        }
        this.#o.logger.error(`relay: cannot listen on ${path}`, e);
        l.settle();
      });
      server.listen(path, () => {
        l.server = server;
        l.listening = true;
        l.settle();
        this.#o.logger.info(`relay: listening for ${service} at ${path}`);
      });
    };
    try {
      mkdirSync(this.#o.hvsockDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      this.#o.logger.error(`relay: cannot create ${this.#o.hvsockDir}`, e);
    }
    attempt(true);
  }

  async #unlisten(service: string): Promise<void> {
    const l = this.#listeners.get(service);
    if (l === undefined) return;
    this.#listeners.delete(service);
    await l.ready;
    const server = l.server;
    if (!l.listening || server === undefined) return;
    l.listening = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // libuv unlinks a Unix server's file on close; make sure of it before anyone re-listens
      try {
        unlinkSync(l.path);
      } catch {}
    });
  }

  #hostDial(service: string, sock: Socket): void {
    if (!this.#synced || this.#closed || this.#streams.size >= MAX_STREAMS) {
      sock.destroy();
      return;
    }
    let pending = 0;
    for (const s of this.#streams.values()) if (s.state === 'opening') pending++;
    if (pending >= MAX_PENDING_OPENS) {
      sock.destroy();
      return;
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const s = this.#newStream(id, service, 'host-to-guest', sock);
    this.#watch(s);
    s.timer = setTimeout(() => {
      if (s.state === 'opening') this.#drop(s, true);
    }, OPEN_TIMEOUT_MS);
    this.#write(encodeFrame(FrameType.Open, id, guidToBytes(service)));
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#clearSyncTimer();
    this.#lostSync('relay closed');
    await Promise.all([...this.#listeners.keys()].map((g) => this.#unlisten(g)));
    const sock = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    if (sock !== undefined && !sock.destroyed) {
      await new Promise<void>((resolve) => {
        sock.once('close', () => resolve());
        sock.destroy();
      });
    }
  }
}
