/**
 * The Unix-socket server: one `ClientSession` per connection, frame decoding, and batched writes
 * (frames produced in one tick go out in one corked write). A malformed frame closes only its
 * connection; nothing a client sends can crash the daemon.
 *
 * Who may connect (README § Access): every accepted connection's peer credentials (SO_PEERCRED,
 * peercred.ts) are checked before a byte is read: the daemon's uid, root, or the configured
 * group. The control methods (Inspect, Fault, Stop) are served only on the separate control
 * socket (daemon uid and root only), or on the main socket with `testControl`.
 *
 * What a connection may cost (limits.ts): a bounded request frame, a partial frame that must
 * complete in time and fits a budget shared by all connections, unsent output and requests in
 * flight above which the connection is not read any more, and a connection cap with a
 * file-descriptor headroom below RLIMIT_NOFILE. A refused connection gets one response frame with
 * id 0 carrying the reason (the shim reports it as the error of the call that connected).
 *
 * When asked, a loopback TCP listener too (Windows processes under Wine): TCP has no peer
 * credentials, so its clients must present the secret of `tcp.ts` (a 0600 file) in their Hello,
 * before any other request; anything else is answered E_ACCESSDENIED and the connection closed.
 */
import { chmodSync, chownSync, existsSync, lstatSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeRequestBody, encodeResponse, FrameDecoder, FrameError, FrameKind } from './codec.js';
import type { Engine, Logger } from './engine.js';
import { HcsdFailure, HR, resultErrorDocument } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { Method } from './methods.js';
import { type AccessPolicy, peerCredentials, refusal } from './peercred.js';
import { Service } from './service.js';
import type { ClientSession } from './session.js';
import {
  E_ACCESSDENIED,
  formatTcpEndpoint,
  parseTcpEndpoint,
  secretDir,
  secretMatches,
  writeSecretFile,
} from './tcp.js';

export interface HcsdServer {
  readonly service: Service;
  readonly socketPath: string;
  /** The control socket, when one is served. */
  readonly controlSocketPath: string | undefined;
  /** The TCP endpoint (`tcp:127.0.0.1:PORT`, the real port) when listening on TCP. */
  readonly tcp: string | undefined;
  /** The secret file TCP clients read (mode 0600), when listening on TCP. */
  readonly secretFile: string | undefined;
  /** Connections open now (all sockets). */
  readonly connectionCount: () => number;
  /** Graceful stop: stop listening, end every connection, remove the socket files. */
  close(): Promise<void>;
}

export interface ServeOptions {
  socketPath: string;
  logger: Logger;
  /** The engine that realizes the VMs (closed with the server). */
  engine: Engine;
  /** Called on a Stop control request (after a graceful close for `'graceful'`). */
  onStop?: (mode: 'graceful' | 'abrupt') => void;
  /** Serve Inspect, Fault and Stop on this separate socket (mode 0600, daemon uid and root only). */
  controlSocketPath?: string;
  /** Serve the control methods on the main socket too (tests only). */
  testControl?: boolean;
  /** Let this group connect too: the socket becomes 0660 with that group (default 0600, none). */
  socketGroup?: number;
  /** The SO_PEERCRED helper (`peercredHelperPath()`); `null` turns the check off (in-process tests). */
  peercredHelper: string | null;
  limits?: Limits;
  /** Also listen on `tcp:127.0.0.1:PORT` (port 0: any free port). Other hosts are refused. */
  listen?: string | undefined;
  /** Where to write the TCP secret (default `<secretDir()>/hcsd-<pid>-<port>.secret`). */
  secretFile?: string | undefined;
}

/** Error with a stable `code` for startup failures. */
export class HcsdStartError extends Error {
  readonly code: 'HcsdSocketInUse' | 'HcsdSocketPath' | 'HcsdListen';
  constructor(code: HcsdStartError['code'], message: string) {
    super(message);
    this.name = 'HcsdStartError';
    this.code = code;
  }
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/**
 * Remove `path` if it is a stale socket (nobody accepts on it) of this user. Throws if it is live,
 * not a socket, or someone else's (a squatter's socket is never removed or used).
 */
export async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const st = lstatSync(path);
  if (!st.isSocket()) throw new HcsdStartError('HcsdSocketPath', `${path} exists and is not a socket`);
  if (st.uid !== uid())
    throw new HcsdStartError(
      'HcsdSocketPath',
      `${path} is a socket of uid ${st.uid}, not of this user (uid ${uid()}); refusing to use or remove it`,
    );
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new HcsdStartError('HcsdSocketInUse', `another hcsd is listening on ${path}`);
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** RLIMIT_NOFILE (soft) from /proc/self/limits; `undefined` when unknown. */
function fdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null || m[1] === 'unlimited' ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Descriptors open in this process now; `undefined` when unknown. */
function fdsInUse(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Shared by every connection of one daemon: the partial-frame budget and its waiters. */
class Budget {
  used = 0;
  readonly waiting = new Set<Connection>();
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  release(n: number): void {
    this.used -= n;
    if (this.used < this.limit && this.waiting.size > 0) {
      const w = [...this.waiting];
      this.waiting.clear();
      for (const c of w) c.unblock('budget');
    }
  }
}

type Block = 'unsent' | 'pending' | 'budget' | 'check';

/** What a TCP connection must present before its first request is served. */
interface TcpAuth {
  readonly secret: string;
  readonly secretFile: string;
}

/** Thrown out of the frame loop once a TCP client was refused (stops reading its frames). */
class RefusedError extends Error {}

class Connection {
  readonly #socket: Socket;
  readonly #service: Service;
  readonly #logger: Logger;
  readonly #limits: Limits;
  readonly #budget: Budget;
  readonly #decoder: FrameDecoder;
  readonly #blocks = new Set<Block>();
  #client: ClientSession | undefined;
  #corked = false;
  #inFlight = 0;
  /** bytes this connection holds of the budget (its decoder's buffer) */
  #held = 0;
  #partialTimer: NodeJS.Timeout | undefined;
  /** Set until a TCP client presented the secret in its Hello. */
  #auth: TcpAuth | undefined;
  /** A refused TCP client: whatever else it sends is ignored until the socket closes. */
  #refused = false;

  constructor(
    socket: Socket,
    service: Service,
    logger: Logger,
    limits: Limits,
    budget: Budget,
    auth?: TcpAuth,
  ) {
    this.#socket = socket;
    this.#auth = auth;
    this.#service = service;
    this.#logger = logger;
    this.#limits = limits;
    this.#budget = budget;
    this.#decoder = new FrameDecoder(limits.maxRequestFrame);
    socket.on('error', () => {
      // ECONNRESET etc.: 'close' follows
    });
    socket.on('close', () => this.#closed());
    socket.on('drain', () => this.unblock('unsent'));
  }

  /** Start serving (after the peer check). */
  start(control: boolean): void {
    if (this.#socket.destroyed) return;
    this.#client = this.#service.connect((frame) => this.#write(frame), control);
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.resume();
  }

  /** Refuse the connection: one response frame (id 0) with the reason, then close. */
  refuse(hresult: number, message: string): void {
    const s = this.#socket;
    if (s.destroyed) return;
    this.#logger.info(`hcsd: refusing a connection: ${message}`);
    s.end(encodeResponse(0, 0, hresult, 0n, new HcsdFailure(hresult, message).toDocument()));
    setTimeout(() => s.destroy(), 1000).unref();
  }

  #read(chunk: Buffer): void {
    const client = this.#client;
    if (client === undefined || this.#refused) return;
    try {
      this.#decoder.push(
        chunk,
        (f) => {
          if (f.kind !== FrameKind.Request)
            throw new FrameError(`unexpected frame kind ${f.kind} from a client`);
          const { token, args } = decodeRequestBody(f.body);
          const presented = this.#auth === undefined ? args : this.#authenticate(client, f, args);
          this.#inFlight++;
          if (this.#inFlight >= this.#limits.maxPendingPerConnection) this.#block('pending');
          this.#service.request(client, f.method, f.id, token, presented);
        },
        () => this.#blocks.size > 0,
      );
    } catch (e) {
      if (e instanceof RefusedError) return; // answered, logged; the socket ends after the answer
      if (e instanceof FrameError) this.#logger.info(`hcsd: closing client ${client.clientId}: ${e.message}`);
      else this.#logger.error(`hcsd: closing client ${client.clientId} after an internal error`, e);
      this.#kill();
      return;
    }
    this.#account();
  }

  /** A TCP client's first request must be Hello with the secret: its arguments without it, else refused. */
  #authenticate(
    client: ClientSession,
    f: { method: number; id: number },
    args: readonly (string | null)[],
  ): readonly (string | null)[] {
    const auth = this.#auth!;
    const secret = f.method === Method.Hello ? args[3] : undefined;
    const reason =
      f.method !== Method.Hello
        ? `its first request was method ${f.method}, not Hello with the secret`
        : secret === undefined || secret === null
          ? 'its Hello presented no secret'
          : secretMatches(secret, auth.secret)
            ? undefined
            : 'its Hello presented a wrong secret';
    if (reason === undefined) {
      this.#auth = undefined;
      return args.slice(0, 3);
    }
    const s = this.#socket;
    this.#logger.error(
      `hcsd: refused TCP client ${s.remoteAddress}:${s.remotePort} (E_ACCESSDENIED 0x80070005): ${reason}`,
    );
    const message = `access denied: a TCP client must present the secret in ${auth.secretFile} as the 4th Hello argument (${reason})`;
    s.end(encodeResponse(f.method, f.id, E_ACCESSDENIED, 0n, resultErrorDocument(E_ACCESSDENIED, message)));
    this.#service.disconnect(client);
    this.#refused = true;
    throw new RefusedError();
  }

  /** Track the decoder's buffer against the shared budget and the partial-frame deadline. */
  #account(): void {
    const now = this.#decoder.buffered;
    const delta = now - this.#held;
    this.#held = now;
    if (delta > 0) this.#budget.used += delta;
    else if (delta < 0) this.#budget.release(-delta);
    if (this.#budget.used > this.#budget.limit && now > 0) this.#block('budget');
    if (now === 0 || this.#blocks.size > 0) {
      if (this.#partialTimer !== undefined) clearTimeout(this.#partialTimer);
      this.#partialTimer = undefined;
    } else if (this.#partialTimer === undefined) {
      this.#partialTimer = setTimeout(() => {
        this.#logger.info(
          `hcsd: closing client ${this.#client?.clientId}: a frame stayed incomplete for ${this.#limits.partialFrameTimeoutMs} ms`,
        );
        this.#kill();
      }, this.#limits.partialFrameTimeoutMs);
      this.#partialTimer.unref();
    }
  }

  #block(why: Block): void {
    if (this.#blocks.size === 0) this.#socket.pause();
    this.#blocks.add(why);
    if (why === 'budget') this.#budget.waiting.add(this);
  }

  unblock(why: Block): void {
    if (!this.#blocks.delete(why) || this.#blocks.size > 0 || this.#socket.destroyed) return;
    // frames held back by `stop` first, then the socket again
    this.#read(Buffer.alloc(0));
    if (this.#blocks.size === 0) this.#socket.resume();
  }

  #write(frame: Buffer): void {
    const s = this.#socket;
    if (s.destroyed) return;
    if (frame[4] === FrameKind.Response && this.#inFlight > 0) {
      this.#inFlight--;
      if (this.#inFlight < this.#limits.maxPendingPerConnection)
        queueMicrotask(() => this.unblock('pending'));
    }
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    s.write(frame);
    if (s.writableLength > this.#limits.maxUnsentBytes) this.#block('unsent');
  }

  #kill(): void {
    if (this.#client !== undefined) this.#service.disconnect(this.#client);
    this.#socket.destroy();
  }

  #closed(): void {
    if (this.#client !== undefined) this.#service.disconnect(this.#client);
    if (this.#partialTimer !== undefined) clearTimeout(this.#partialTimer);
    this.#budget.waiting.delete(this);
    if (this.#held > 0) this.#budget.release(this.#held);
    this.#held = 0;
  }

  destroy(): void {
    this.#socket.destroy();
  }

  end(): void {
    this.#socket.end();
  }
}

function listenOn(server: Server, where: string | { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function listen(server: Server, path: string, mode: number, group: number | undefined): Promise<void> {
  await removeStaleSocket(path);
  await listenOn(server, path);
  if (group !== undefined) chownSync(path, -1, group);
  chmodSync(path, mode);
}

/** Listen on `socketPath` (and the control socket); a stale socket file of this user is removed first. */
export async function serve(options: ServeOptions): Promise<HcsdServer> {
  const { socketPath, logger } = options;
  let tcpWhere: { host: string; port: number } | undefined;
  if (options.listen !== undefined) {
    try {
      tcpWhere = parseTcpEndpoint(options.listen, { allowPortZero: true });
    } catch (e) {
      throw new HcsdStartError('HcsdListen', `--listen ${(e as Error).message}`);
    }
  }
  const limits = options.limits ?? DEFAULT_LIMITS;
  const service = new Service(logger, options.engine, limits);
  const connections = new Set<Connection>();
  const budget = new Budget(limits.partialFrameBudget);
  const nofile = fdLimit();
  const me = uid();
  const mainPolicy: AccessPolicy = { uid: me, group: options.socketGroup };
  const controlPolicy: AccessPolicy = { uid: me, group: undefined };

  const accept = (socket: Socket, control: boolean, auth?: TcpAuth): void => {
    socket.pause();
    const c = new Connection(socket, service, logger, limits, budget, auth);
    socket.on('close', () => connections.delete(c));
    if (connections.size >= limits.maxConnections) {
      c.refuse(
        HR.HCS_E_CONNECT_FAILED,
        `hcsd refused the connection: ${connections.size} connections are open (its limit, maxConnections, is ${limits.maxConnections})`,
      );
      return;
    }
    const open = nofile === undefined ? undefined : fdsInUse();
    if (nofile !== undefined && open !== undefined && open + limits.fdHeadroom > nofile) {
      c.refuse(
        HR.HCS_E_CONNECT_FAILED,
        `hcsd refused the connection: ${open} of its ${nofile} file descriptors are in use (it keeps ${limits.fdHeadroom} free for the clients it serves)`,
      );
      return;
    }
    connections.add(c);
    const policy = control ? controlPolicy : mainPolicy;
    // TCP has no peer credentials: its clients are checked by the secret in their Hello.
    if (options.peercredHelper === null || auth !== undefined) {
      c.start(control || options.testControl === true);
      return;
    }
    peerCredentials(socket, options.peercredHelper).then(
      (peer) => {
        const why = refusal(peer, policy);
        if (why !== undefined) c.refuse(HR.HCS_E_ACCESS_DENIED, `hcsd refused the connection: ${why}`);
        else c.start(control || options.testControl === true);
      },
      (e: unknown) => {
        logger.error('hcsd: peer-credential check failed', e);
        c.refuse(HR.HCS_E_ACCESS_DENIED, `hcsd refused the connection: ${(e as Error).message}`);
      },
    );
  };

  const server: Server = createServer({ pauseOnConnect: true }, (s) => accept(s, false));
  await listen(server, socketPath, options.socketGroup === undefined ? 0o600 : 0o660, options.socketGroup);
  server.on('error', (e) => logger.error('hcsd: server error', e));
  let control: Server | undefined;
  if (options.controlSocketPath !== undefined) {
    control = createServer({ pauseOnConnect: true }, (s) => accept(s, true));
    try {
      await listen(control, options.controlSocketPath, 0o600, undefined);
    } catch (e) {
      server.close();
      throw e;
    }
    control.on('error', (e) => logger.error('hcsd: control server error', e));
  }
  let tcpServer: Server | undefined;
  let tcp: string | undefined;
  let secretFile: string | undefined;
  if (tcpWhere !== undefined) {
    const auth: { secret: string; secretFile: string } = { secret: '', secretFile: '' };
    const tcpListener = createServer({ pauseOnConnect: true }, (s) => accept(s, false, auth));
    try {
      await listenOn(tcpListener, tcpWhere);
    } catch (e) {
      server.close();
      control?.close();
      throw new HcsdStartError('HcsdListen', `cannot listen on ${options.listen}: ${(e as Error).message}`);
    }
    tcpServer = tcpListener;
    const port = (tcpListener.address() as AddressInfo).port;
    tcp = formatTcpEndpoint(port);
    secretFile = options.secretFile ?? join(secretDir(), `hcsd-${process.pid}-${port}.secret`);
    auth.secret = writeSecretFile(secretFile);
    auth.secretFile = secretFile;
    tcpListener.on('error', (e) => logger.error('hcsd: TCP server error', e));
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const stopped = service.close().catch((e: unknown) => logger.error('hcsd: engine close failed', e));
      let open = 1 + (control === undefined ? 0 : 1) + (tcpServer === undefined ? 0 : 1);
      const done = (): void => {
        if (--open === 0) void stopped.then(() => resolve());
      };
      server.close(done);
      control?.close(done);
      tcpServer?.close(done);
      if (secretFile !== undefined) {
        try {
          unlinkSync(secretFile);
        } catch {}
      }
      for (const c of connections) c.end();
      setTimeout(() => {
        for (const c of connections) c.destroy();
      }, 200).unref();
    });
    return closing;
  };

  service.onStop = (mode) => {
    if (mode === 'abrupt') {
      options.onStop?.('abrupt');
      return;
    }
    void close().then(() => options.onStop?.('graceful'));
  };
  return {
    service,
    socketPath,
    controlSocketPath: options.controlSocketPath,
    tcp,
    secretFile,
    connectionCount: () => connections.size,
    close,
  };
}
