/**
 * Frame encoding/decoding of the hcsd wire protocol (PROTOCOL.md): a 12-byte header
 * (`u32 length`, `u8 kind`, `u8 method`, `u16 reserved`, `u32 id`) and a body of u64/u32 ints and
 * length-prefixed UTF-8 strings (`0xFFFFFFFF` = absent). All integers little-endian.
 */

export const FrameKind = { Request: 1, Response: 2, Event: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Maximum value of the `length` field (64 MiB). */
export const MAX_FRAME = 64 * 1024 * 1024;
/** Bytes of the header including the length field. */
export const HEADER_SIZE = 12;
const ABSENT = 0xffffffff;

/** A malformed frame; the connection that sent it is closed. */
export class FrameError extends Error {
  readonly code = 'HcsdFrame' as const;
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Frame {
  readonly kind: number;
  readonly method: number;
  readonly id: number;
  /** body bytes (a view into the receive buffer; consume synchronously or copy) */
  readonly body: Buffer;
}

/**
 * Incremental decoder: feed socket chunks, get whole frames. Throws `FrameError` on a bad length
 * (as soon as its 4 bytes are in; `maxFrame` bounds it, default MAX_FRAME) or kind (as soon as the
 * 12 header bytes are in). Partial frames are kept as a chunk list and joined once the whole frame
 * is there, so a large frame costs one copy. `stop()` (checked after each frame) holds the rest
 * back: it stays buffered until the next `push` (an empty chunk resumes).
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #size = 0;
  /** total bytes the buffered frame needs (0 = not known, or the buffer may hold whole frames) */
  #need = 0;
  readonly #maxFrame: number;

  constructor(maxFrame: number = MAX_FRAME) {
    this.#maxFrame = maxFrame;
  }

  /** Append `chunk` and call `onFrame` for each complete frame (until `stop()` says so). */
  push(chunk: Buffer, onFrame: (frame: Frame) => void, stop?: () => boolean): void {
    let buf = chunk;
    if (this.#size > 0) {
      if (chunk.length > 0) this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#need > this.#size) return;
      buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [];
      this.#size = 0;
      this.#need = 0;
    }
    let off = 0;
    let stopped = false;
    while (buf.length - off >= 4) {
      if (stop?.()) {
        stopped = true;
        break;
      }
      const length = buf.readUInt32LE(off);
      if (length > this.#maxFrame) throw new FrameError(`frame length ${length} exceeds ${this.#maxFrame}`);
      if (length < HEADER_SIZE - 4) throw new FrameError(`frame length ${length} is shorter than the header`);
      if (buf.length - off >= HEADER_SIZE) {
        const kind = buf[off + 4]!;
        if (kind !== FrameKind.Request && kind !== FrameKind.Response && kind !== FrameKind.Event) {
          throw new FrameError(`unknown frame kind ${kind}`);
        }
      }
      if (buf.length - off < 4 + length) {
        this.#need = 4 + length;
        break;
      }
      const kind = buf[off + 4]!;
      const method = buf[off + 5]!;
      const id = buf.readUInt32LE(off + 8);
      const body = buf.subarray(off + HEADER_SIZE, off + 4 + length);
      off += 4 + length;
      onFrame({ kind, method, id, body });
    }
    if (off < buf.length) {
      this.#chunks = [Buffer.from(buf.subarray(off))];
      this.#size = buf.length - off;
      if (this.#size < 4 || stopped) this.#need = 0;
    } else {
      this.#need = 0;
    }
  }

  /** Bytes buffered (towards an incomplete frame, or held back by `stop`). */
  get buffered(): number {
    return this.#size;
  }
}

/** Reads the body fields in order. Throws `FrameError` when the body is too short. */
export class BodyReader {
  readonly #buf: Buffer;
  #off = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  #need(n: number): void {
    if (this.#buf.length - this.#off < n) throw new FrameError('frame body truncated');
  }
  u32(): number {
    this.#need(4);
    const v = this.#buf.readUInt32LE(this.#off);
    this.#off += 4;
    return v;
  }
  i32(): number {
    this.#need(4);
    const v = this.#buf.readInt32LE(this.#off);
    this.#off += 4;
    return v;
  }
  u64(): bigint {
    this.#need(8);
    const v = this.#buf.readBigUInt64LE(this.#off);
    this.#off += 8;
    return v;
  }
  string(): string | null {
    const n = this.u32();
    if (n === ABSENT) return null;
    this.#need(n);
    const s = this.#buf.toString('utf8', this.#off, this.#off + n);
    this.#off += n;
    return s;
  }
  get remaining(): number {
    return this.#buf.length - this.#off;
  }
}

export interface RequestBody {
  readonly token: bigint;
  readonly args: readonly (string | null)[];
}

/** Decode a request body: `u64 token, u32 argc, argc strings`. Trailing bytes are an error. */
export function decodeRequestBody(body: Buffer): RequestBody {
  const r = new BodyReader(body);
  const token = r.u64();
  const argc = r.u32();
  if (argc > body.length) throw new FrameError(`argc ${argc} exceeds the body`);
  const args: (string | null)[] = [];
  for (let i = 0; i < argc; i++) args.push(r.string());
  if (r.remaining !== 0) throw new FrameError(`${r.remaining} trailing bytes in request body`);
  return { token, args };
}

export interface ResponseBody {
  readonly hresult: number;
  readonly value: bigint;
  readonly document: string | null;
}

export function decodeResponseBody(body: Buffer): ResponseBody {
  const r = new BodyReader(body);
  const hresult = r.i32() >>> 0;
  const value = r.u64();
  const document = r.string();
  return { hresult, value, document };
}

export interface EventBody {
  readonly token: bigint;
  readonly eventType: number;
  readonly eventData: string | null;
}

export function decodeEventBody(body: Buffer): EventBody {
  const r = new BodyReader(body);
  const token = r.u64();
  const eventType = r.u32();
  const eventData = r.string();
  return { token, eventType, eventData };
}

function strSize(s: string | null | undefined): number {
  return s == null ? 4 : 4 + Buffer.byteLength(s, 'utf8');
}

function writeStr(buf: Buffer, off: number, s: string | null | undefined): number {
  if (s == null) {
    buf.writeUInt32LE(ABSENT, off);
    return off + 4;
  }
  const n = buf.write(s, off + 4, 'utf8');
  buf.writeUInt32LE(n, off);
  return off + 4 + n;
}

function header(buf: Buffer, kind: number, method: number, id: number): void {
  buf.writeUInt32LE(buf.length - 4, 0);
  buf[4] = kind;
  buf[5] = method;
  buf[6] = 0;
  buf[7] = 0;
  buf.writeUInt32LE(id >>> 0, 8);
}

export function encodeResponse(
  method: number,
  id: number,
  hresult: number,
  value: bigint,
  document: string | null,
): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + 4 + 8 + strSize(document));
  header(buf, FrameKind.Response, method, id);
  buf.writeInt32LE(hresult | 0, 12);
  buf.writeBigUInt64LE(value, 16);
  writeStr(buf, 24, document);
  return buf;
}

export function encodeEvent(token: bigint, eventType: number, eventData: string | null): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + 8 + 4 + strSize(eventData));
  header(buf, FrameKind.Event, 0, 0);
  buf.writeBigUInt64LE(token, 12);
  buf.writeUInt32LE(eventType >>> 0, 20);
  writeStr(buf, 24, eventData);
  return buf;
}

export function encodeRequest(
  method: number,
  id: number,
  token: bigint,
  args: readonly (string | null | undefined)[],
): Buffer {
  let size = HEADER_SIZE + 8 + 4;
  for (const a of args) size += strSize(a);
  const buf = Buffer.allocUnsafe(size);
  header(buf, FrameKind.Request, method, id);
  buf.writeBigUInt64LE(token, 12);
  buf.writeUInt32LE(args.length, 20);
  let off = 24;
  for (const a of args) off = writeStr(buf, off, a);
  return buf;
}
