/**
 * The Unix-socket server: one `ClientSession` per connection, frame decoding, and batched writes
 * (frames produced in one tick go out in one corked write). A malformed frame closes only its
 * connection; nothing a client sends can crash the daemon.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { decodeRequestBody, FrameDecoder, FrameError, FrameKind } from './codec.js';
import type { Engine, Logger } from './engine.js';
import { Service } from './service.js';

export interface HcsdServer {
  readonly service: Service;
  readonly socketPath: string;
  /** Graceful stop: stop listening, end every connection, remove the socket file. */
  close(): Promise<void>;
}

export interface ServeOptions {
  socketPath: string;
  logger: Logger;
  /** The engine that realizes the VMs (closed with the server). */
  engine: Engine;
  /** Called on a Stop control request (after a graceful close for `'graceful'`). */
  onStop?: (mode: 'graceful' | 'abrupt') => void;
}

/** Error with a stable `code` for startup failures. */
export class HcsdStartError extends Error {
  readonly code: 'HcsdSocketInUse' | 'HcsdSocketPath';
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
  if (!st.isSocket()) throw new HcsdStartError('HcsdSocketPath', `${path} exists and is not a socket`);
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

class Connection {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  #corked = false;

  constructor(socket: Socket, service: Service, logger: Logger) {
    this.#socket = socket;
    const client = service.connect((frame) => this.#write(frame));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk, (f) => {
          if (f.kind !== FrameKind.Request)
            throw new FrameError(`unexpected frame kind ${f.kind} from a client`);
          const { token, args } = decodeRequestBody(f.body);
          service.request(client, f.method, f.id, token, args);
        });
      } catch (e) {
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

/** Listen on `socketPath` (a stale socket file is removed first). */
export async function serve(options: ServeOptions): Promise<HcsdServer> {
  const { socketPath, logger } = options;
  await removeStaleSocket(socketPath);
  const service = new Service(logger, options.engine);
  const connections = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const c = new Connection(socket, service, logger);
    connections.add(c);
    socket.on('close', () => connections.delete(c));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error('hcsd: server error', e));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const stopped = service.close().catch((e: unknown) => logger.error('hcsd: engine close failed', e));
      server.close(() => void stopped.then(() => resolve()));
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
  return { service, socketPath, close };
}
