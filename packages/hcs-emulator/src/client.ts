/**
 * `HcsdClient`: a minimal TypeScript client of the hcsd wire protocol (PROTOCOL.md), used by
 * `HcsdControl` and by tests that drive hcsd directly (the C shim is the production client).
 */
import { createConnection, type Socket } from 'node:net';
import {
  decodeEventBody,
  decodeResponseBody,
  type EventBody,
  encodeRequest,
  FrameDecoder,
  FrameKind,
} from './hcsd/codec.js';
import { Method, type MethodName } from './hcsd/methods.js';
import { isTcpEndpoint, parseTcpEndpoint } from './hcsd/tcp.js';

export { Method, type MethodName };

/** A response: HRESULT (unsigned), value (token for Create/Open), document (or null). */
export interface HcsdResponse {
  readonly hresult: number;
  readonly value: bigint;
  readonly document: string | null;
}

export type HcsdEvent = EventBody;

/** The connection closed (or failed) before the response arrived. */
export class HcsdConnectionError extends Error {
  readonly code = 'HcsdConnection' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HcsdConnectionError';
  }
}

interface Waiter {
  resolve(r: HcsdResponse): void;
  reject(e: Error): void;
}

export class HcsdClient {
  readonly #socket: Socket;
  readonly #waiters = new Map<number, Waiter>();
  readonly #decoder = new FrameDecoder();
  readonly #eventListeners = new Set<(e: HcsdEvent) => void>();
  #nextId = 1;
  #closed = false;
  #refusal: string | undefined;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk, (f) => {
          if (f.kind === FrameKind.Response) {
            if (f.id === 0) {
              // hcsd refused this connection (PROTOCOL.md): keep the reason for the close
              const r = decodeResponseBody(f.body);
              let why = '';
              try {
                why = (JSON.parse(r.document ?? '{}') as { ErrorMessage?: string }).ErrorMessage ?? '';
              } catch {}
              this.#refusal = `${why} (0x${r.hresult.toString(16).toUpperCase()})`;
              return;
            }
            const w = this.#waiters.get(f.id);
            if (w === undefined) return;
            this.#waiters.delete(f.id);
            w.resolve(decodeResponseBody(f.body));
          } else if (f.kind === FrameKind.Event) {
            const ev = decodeEventBody(f.body);
            for (const l of this.#eventListeners) l(ev);
          }
        });
      } catch (e) {
        socket.destroy(e as Error);
      }
    });
    this.closed = new Promise<void>((resolve) => {
      socket.on('close', () => {
        this.#closed = true;
        const err = new HcsdConnectionError(
          this.#refusal === undefined
            ? 'connection to hcsd closed'
            : `connection to hcsd closed: ${this.#refusal}`,
        );
        for (const w of this.#waiters.values()) w.reject(err);
        this.#waiters.clear();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  /** Connect to hcsd at `socketPath` (a Unix socket path, or `tcp:127.0.0.1:PORT`). */
  static connect(socketPath: string): Promise<HcsdClient> {
    return new Promise((resolve, reject) => {
      const socket = isTcpEndpoint(socketPath)
        ? createConnection(parseTcpEndpoint(socketPath))
        : createConnection(socketPath);
      const onError = (e: Error): void =>
        reject(new HcsdConnectionError(`cannot connect to hcsd at ${socketPath}`, { cause: e }));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new HcsdClient(socket));
      });
    });
  }

  /** The id the next `request` will use. */
  get nextRequestId(): number {
    return this.#nextId;
  }

  /** Send a request; resolves with the response (any HRESULT). */
  request(
    method: number | MethodName,
    token: bigint,
    args: readonly (string | null | undefined)[],
  ): Promise<HcsdResponse> {
    const code = typeof method === 'number' ? method : Method[method];
    if (this.#closed) return Promise.reject(new HcsdConnectionError('connection to hcsd closed'));
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
      this.#socket.write(encodeRequest(code, id, token, args));
    });
  }

  /** Listen to event frames. Returns an unsubscribe function. */
  onEvent(listener: (e: HcsdEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Write raw bytes (tests of malformed frames). */
  writeRaw(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  /** Close the connection (hcsd closes this client's tokens). */
  async close(): Promise<void> {
    if (!this.#closed) this.#socket.end();
    await this.closed;
  }

  /** Drop the connection at once (RST-like). */
  destroy(): void {
    this.#socket.destroy();
  }
}
