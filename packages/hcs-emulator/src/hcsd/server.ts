/**
 * The Unix-socket server (and, when asked, a loopback TCP listener whose clients must present
 * the secret of `tcp.ts` in their Hello): one `ClientSession` per connection, frame decoding, and
 * batched writes (frames produced in one tick go out in one corked write). A malformed frame
 * closes only its connection; nothing a client sends can crash the daemon.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeRequestBody, encodeResponse, FrameDecoder, FrameError, FrameKind } from './codec.js';
import type { Engine, Logger } from './engine.js';
import { resultErrorDocument } from './errors.js';
import { Method } from './methods.js';
import { Service } from './service.js';
import {
  E_ACCESSDENIED,
  formatTcpEndpoint,
  parseTcpEndpoint,
  runtimeDir,
  secretMatches,
  writeSecretFile,
} from './tcp.js';

export interface HcsdServer {
  readonly service: Service;
  readonly socketPath: string;
  /** The TCP endpoint (`tcp:127.0.0.1:PORT`, the real port) when listening on TCP. */
  readonly tcp: string | undefined;
  /** The secret file TCP clients read (mode 0600), when listening on TCP. */
  readonly secretFile: string | undefined;
  /** Graceful stop: stop listening, end every connection, remove the socket and secret files. */
  close(): Promise<void>;
}

export interface ServeOptions {
  socketPath: string;
  /** Also listen on `tcp:127.0.0.1:PORT` (port 0: any free port). Other hosts are refused. */
  listen?: string | undefined;
  /** Where to write the TCP secret (default `<runtimeDir()>/hcsd-<pid>-<port>.secret`). */
  secretFile?: string | undefined;
  logger: Logger;
  /** The engine that realizes the VMs (closed with the server). */
  engine: Engine;
  /** Called on a Stop control request (after a graceful close for `'graceful'`). */
  onStop?: (mode: 'graceful' | 'abrupt') => void;
}

/** Error with a stable `code` for startup failures. */
export class HcsdStartError extends Error {
  readonly code: 'ERR_HCSD_SOCKET_IN_USE' | 'ERR_HCSD_SOCKET_PATH' | 'ERR_HCSD_LISTEN';
  constructor(code: HcsdStartError['code'], message: string) {
    super(message);
    this.name = 'HcsdStartError';
    this.code = code;
  }
}

/** Remove `path` if it is a stale socket (nobody accepts on it). Throws if live or not a socket. */
export async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const st = lstatSync(path);
  if (!st.isSocket()) throw new HcsdStartError('ERR_HCSD_SOCKET_PATH', `${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new HcsdStartError('ERR_HCSD_SOCKET_IN_USE', `another hcsd is listening on ${path}`);
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** What a TCP connection must present before its first request is served. */
interface TcpAuth {
  readonly secret: string;
  readonly secretFile: string;
}

class Connection {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  #corked = false;
  /** Set until a TCP client presented the secret in its Hello. */
  #auth: TcpAuth | undefined;
  /** A refused TCP client: whatever else it sends is ignored until the socket closes. */
  #refused = false;

  constructor(socket: Socket, service: Service, logger: Logger, auth?: TcpAuth) {
    this.#socket = socket;
    this.#auth = auth;
    const client = service.connect((frame) => this.#write(frame));
    socket.on('data', (chunk: Buffer) => {
      if (this.#refused) return;
      try {
        this.#decoder.push(chunk, (f) => {
          if (f.kind !== FrameKind.Request)
            throw new FrameError(`unexpected frame kind ${f.kind} from a client`);
          const { token, args } = decodeRequestBody(f.body);
          const auth = this.#auth;
          if (auth !== undefined) {
            const secret = f.method === Method.Hello ? args[3] : undefined;
            const reason =
              f.method !== Method.Hello
                ? `its first request was method ${f.method}, not Hello with the secret`
                : secret === undefined || secret === null
                  ? 'its Hello presented no secret'
                  : secretMatches(secret, auth.secret)
                    ? undefined
                    : 'its Hello presented a wrong secret';
            if (reason !== undefined) {
              const peer = `${socket.remoteAddress}:${socket.remotePort}`;
              logger.error(`hcsd: refused TCP client ${peer} (E_ACCESSDENIED 0x80070005): ${reason}`);
              const message = `access denied: a TCP client must present the secret in ${auth.secretFile} as the 4th Hello argument (${reason})`;
              socket.end(
                encodeResponse(
                  f.method,
                  f.id,
                  E_ACCESSDENIED,
                  0n,
                  resultErrorDocument(E_ACCESSDENIED, message),
                ),
              );
              service.disconnect(client);
              this.#refused = true;
              throw new RefusedError();
            }
            this.#auth = undefined;
            service.request(client, f.method, f.id, token, args.slice(0, 3));
            return;
          }
          service.request(client, f.method, f.id, token, args);
        });
      } catch (e) {
        if (e instanceof RefusedError) return; // answered, logged; the socket ends after the answer
        if (e instanceof FrameError) logger.info(`hcsd: closing client ${client.clientId}: ${e.message}`);
        else logger.error(`hcsd: closing client ${client.clientId} after an internal error`, e);
        service.disconnect(client);
        socket.destroy();
      }
    });
    socket.on('error', () => {
      // ECONNRESET etc.: 'close' follows
    });
    socket.on('close', () => service.disconnect(client));
  }

  #write(frame: Buffer): void {
    const s = this.#socket;
    if (s.destroyed) return;
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    s.write(frame);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  end(): void {
    this.#socket.end();
  }
}

/** Thrown out of the frame loop once a TCP client was refused (stops reading its frames). */
class RefusedError extends Error {}

function listenOn(server: Server, where: string | { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Listen on `socketPath` (a stale socket file is removed first), and on `listen` when given. */
export async function serve(options: ServeOptions): Promise<HcsdServer> {
  const { socketPath, logger } = options;
  let tcpWhere: { host: string; port: number } | undefined;
  if (options.listen !== undefined) {
    try {
      tcpWhere = parseTcpEndpoint(options.listen, { allowPortZero: true });
    } catch (e) {
      throw new HcsdStartError('ERR_HCSD_LISTEN', `--listen ${(e as Error).message}`);
    }
  }
  await removeStaleSocket(socketPath);
  const service = new Service(logger, options.engine);
  const connections = new Set<Connection>();
  const accept =
    (auth?: TcpAuth) =>
    (socket: Socket): void => {
      const c = new Connection(socket, service, logger, auth);
      connections.add(c);
      socket.on('close', () => connections.delete(c));
    };
  const server: Server = createServer(accept());
  await listenOn(server, socketPath);
  server.on('error', (e) => logger.error('hcsd: server error', e));

  let tcpServer: Server | undefined;
  let tcp: string | undefined;
  let secretFile: string | undefined;
  if (tcpWhere !== undefined) {
    const auth: { secret: string; secretFile: string } = { secret: '', secretFile: '' };
    tcpServer = createServer(accept(auth));
    try {
      await listenOn(tcpServer, tcpWhere);
    } catch (e) {
      server.close();
      throw new HcsdStartError(
        'ERR_HCSD_LISTEN',
        `cannot listen on ${options.listen}: ${(e as Error).message}`,
      );
    }
    const port = (tcpServer.address() as AddressInfo).port;
    tcp = formatTcpEndpoint(port);
    secretFile = options.secretFile ?? join(runtimeDir(), `hcsd-${process.pid}-${port}.secret`);
    auth.secret = writeSecretFile(secretFile);
    auth.secretFile = secretFile;
    tcpServer.on('error', (e) => logger.error('hcsd: TCP server error', e));
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const stopped = service.close().catch((e: unknown) => logger.error('hcsd: engine close failed', e));
      let open = tcpServer === undefined ? 1 : 2;
      const closed = (): void => {
        if (--open === 0) void stopped.then(() => resolve());
      };
      server.close(closed);
      tcpServer?.close(closed);
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
  return { service, socketPath, tcp, secretFile, close };
}
