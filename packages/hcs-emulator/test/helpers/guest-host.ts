/**
 * A small host side of the GCS bridge for the guest-agent tests: listens at the emulator's
 * HvSocket path of (vmId, service), accepts one connection, frames requests and collects every
 * frame the guest sends. Deliberately independent of the agent's codec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LINUX_GCS = '40000000-facb-11e6-bd58-64006a7986d3';
export const WINDOWS_GCS = 'acef5661-84a1-4e44-856b-6245e69f4620';
export const NULL_ID = '00000000-0000-0000-0000-000000000000';

export const T = {
  Create: 0x10100101,
  Start: 0x10100201,
  ShutdownForced: 0x10100401,
  ExecuteProcess: 0x10100501,
  GetProperties: 0x10100901,
  ModifySettings: 0x10100a01,
  NegotiateProtocol: 0x10100b01,
  DumpStacks: 0x10100c01,
  DeleteContainerState: 0x10100d01,
  UpdateContainer: 0x10100e01,
} as const;

export interface Frame {
  type: number;
  size: number;
  id: bigint;
  payload: Buffer;
  /** parsed payload, or undefined when it is not JSON */
  json: Record<string, unknown> | undefined;
}

export function frame(type: number, id: bigint, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(16);
  h.writeUInt32LE(type >>> 0, 0);
  h.writeUInt32LE(16 + body.length, 4);
  h.writeBigUInt64LE(id, 8);
  return Buffer.concat([h, body]);
}

/** A temp dir to use as UVMKIT_HVSOCK_DIR, removed by `dispose`. */
export function hvsockTempDir(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'uvmkit-hvsock-test-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sockPath(dir: string, vmId: string, service = LINUX_GCS): string {
  return join(dir, `${vmId.toLowerCase()}-${service}.sock`);
}

/** One accepted bridge connection. */
export class Bridge {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  #buf = Buffer.alloc(0);
  #nextId = 0n;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<void>;
  /** set when the guest sent a frame whose Size field is < 16 (the stream is then unusable) */
  badSize: number | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      while (this.#buf.length >= 16 && this.badSize === undefined) {
        const size = this.#buf.readUInt32LE(4);
        if (size < 16) {
          this.badSize = size;
          return;
        }
        if (this.#buf.length < size) return;
        const payload = this.#buf.subarray(16, size);
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(payload.toString('utf8'));
        } catch {}
        const f: Frame = {
          type: this.#buf.readUInt32LE(0),
          size,
          id: this.#buf.readBigUInt64LE(8),
          payload: Buffer.from(payload),
          json,
        };
        this.#buf = this.#buf.subarray(size);
        this.frames.push(f);
        const i = this.#waiters.findIndex((w) => w.pred(f));
        if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(f);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.on('close', () => r()));
  }

  /** The next frame matching `pred` (already received or future). */
  next(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching frame in time')), ms);
      this.#waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Send a request (JSON body, Go-style trailing newline); returns its ID. */
  send(type: number, body: unknown, id = this.#nextId++): bigint {
    this.socket.write(frame(type, id, `${JSON.stringify(body)}\n`));
    return id;
  }

  /** Send and wait for the response with the same ID. */
  async call(type: number, body: unknown): Promise<Frame> {
    const id = this.send(type, body);
    return this.next((f) => f.id === id && f.type >>> 28 === 2);
  }

  negotiate(min = 4, max = 4): Promise<Frame> {
    return this.call(T.NegotiateProtocol, {
      ContainerId: '',
      ActivityId: NULL_ID,
      MinimumVersion: min,
      MaximumVersion: max,
    });
  }

  modify(request: unknown, containerId = NULL_ID): Promise<Frame> {
    return this.call(T.ModifySettings, { ContainerId: containerId, ActivityId: NULL_ID, Request: request });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A listener at the HvSocket path; `accept()` resolves with the next bridge. */
export class HostListener {
  readonly server: Server;
  readonly path: string;
  readonly #queue: Bridge[] = [];
  readonly #waiters: ((b: Bridge) => void)[] = [];
  accepted = 0;

  private constructor(server: Server, path: string) {
    this.server = server;
    this.path = path;
    server.on('connection', (s) => {
      this.accepted++;
      const b = new Bridge(s);
      const w = this.#waiters.shift();
      if (w) w(b);
      else this.#queue.push(b);
    });
  }

  static async listen(path: string): Promise<HostListener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return new HostListener(server, path);
  }

  accept(ms = 3000): Promise<Bridge> {
    const q = this.#queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no guest connection in time')), ms);
      this.#waiters.push((b) => {
        clearTimeout(timer);
        resolve(b);
      });
    });
  }

  /** Stop listening (removes the socket file); accepted bridges stay open. */
  close(): void {
    this.server.close();
  }
}
