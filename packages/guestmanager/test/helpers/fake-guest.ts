/**
 * A fake guest agent for tests: dials (or wraps) a stream and speaks the bridge protocol with
 * its own minimal frame reader, so crafted frames (garbage, oversized, unknown IDs, out of order)
 * can be written precisely. By default it answers like the Linux GCS: NegotiateProtocol with the
 * example payload of gcs-protocol.md §4.4, ModifySettings with success, anything else E_NOTIMPL.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Received {
  readonly type: number;
  readonly id: bigint;
  readonly size: number;
  readonly raw: Buffer;
  readonly body: Record<string, unknown>;
}

/** What a handler returns: a response body (Result defaults to 0), or `undefined` to not answer. */
export type Handler = (req: Received, guest: FakeGuest) => Record<string, unknown> | undefined | 'default';

export const LINUX_NEGOTIATE_RESPONSE = {
  Result: 0,
  ActivityId: '00000000-0000-0000-0000-000000000000',
  Version: 4,
  Capabilities: {
    SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
    RuntimeOsType: 'Linux',
    GuestDefinedCapabilities: {
      NamespaceAddRequestSupported: true,
      SignalProcessSupported: true,
      DumpStacksSupported: true,
      DeleteContainerStateSupported: true,
    },
  },
};

export function frame(type: number, id: bigint, payload: string | Buffer, sizeOverride?: number): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(16);
  h.writeUInt32LE(type >>> 0, 0);
  h.writeUInt32LE(sizeOverride ?? 16 + body.length, 4);
  h.writeBigUInt64LE(id, 8);
  return Buffer.concat([h, body]);
}

export class FakeGuest {
  readonly socket: Socket;
  readonly received: Received[] = [];
  handler: Handler;
  #buf = Buffer.alloc(0);
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(socket: Socket, handler: Handler = () => 'default') {
    this.socket = socket;
    this.handler = handler;
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', () => {});
  }

  static dial(path: string, handler?: Handler): Promise<FakeGuest> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new FakeGuest(s, handler)));
      s.once('error', reject);
    });
  }

  /** Resolves when at least `n` requests have been received. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  reply(req: Received, body: Record<string, unknown>): void {
    const type = (0x20000000 | (req.type & 0x0fffffff)) >>> 0;
    this.socket.write(frame(type, req.id, JSON.stringify({ Result: 0, ...body })));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  defaultAnswer(req: Received): Record<string, unknown> {
    const proc = req.type & 0x0fffffff;
    if (proc === 0x00100b01) return LINUX_NEGOTIATE_RESPONSE;
    if (proc === 0x00100a01) return { Result: 0 };
    return {
      Result: -2147467263,
      ErrorMessage: 'not implemented',
      ErrorRecords: [
        { Result: -2147467263, Message: 'not implemented', ModuleName: 'gcs', Line: 4294967295 },
      ],
    };
  }

  #onData(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 16) {
      const size = this.#buf.readUInt32LE(4);
      if (this.#buf.length < size) break;
      const raw = this.#buf.subarray(0, size);
      this.#buf = this.#buf.subarray(size);
      const req: Received = {
        type: raw.readUInt32LE(0),
        size,
        id: raw.readBigUInt64LE(8),
        raw: Buffer.from(raw),
        body: JSON.parse(raw.subarray(16).toString('utf8')) as Record<string, unknown>,
      };
      this.received.push(req);
      for (const w of [...this.#waiters]) {
        if (this.received.length >= w.n) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const answer = this.handler(req, this);
      if (answer === 'default') this.reply(req, this.defaultAnswer(req));
      else if (answer !== undefined) this.reply(req, answer);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A connected pair over a Unix socket: `host` (server side) and `guest` (client side). */
export async function socketPair(path: string): Promise<{ host: Socket; guest: Socket; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  const hostP = new Promise<Socket>((r) => server.once('connection', r));
  const guest = connect(path);
  await new Promise<void>((r) => guest.once('connect', () => r()));
  const host = await hostP;
  server.close();
  return { host, guest, server };
}
