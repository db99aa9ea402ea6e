/**
 * The HvSocket relay's frame codec, host side (PROTOCOL-RELAY.md). A frame is an 8-byte
 * little-endian header `{type u8, flags u8 = 0, length u16 (payload bytes), stream u32}` and at most
 * 32760 payload bytes, so a frame is at most 32 KiB (one guest write). The decoder takes guest→host
 * bytes in arbitrary splits; after `expect(nonce)` it scans for the guest's HELLO answering that
 * nonce and discards everything before it (bytes of an earlier connection, a cut frame, garbage).
 * Every frame's shape is checked here; the stream state machine is the relay's.
 */

export const FrameType = {
  Pad: 0,
  Sync: 1,
  Hello: 2,
  Resync: 3,
  Open: 4,
  OpenOk: 5,
  OpenFail: 6,
  Data: 7,
  Credit: 8,
  Close: 9,
  Reset: 10,
  Listen: 11,
  Unlisten: 12,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** OPEN_FAIL codes (and their names in the guest-side API's `ERR <code>` lines). */
export const OpenFailCode = { Refused: 1, Limit: 2, Unavailable: 3, Timeout: 4, Internal: 5 } as const;
export type OpenFailCode = (typeof OpenFailCode)[keyof typeof OpenFailCode];

export const RELAY_VERSION = 1;
export const HEADER_SIZE = 8;
export const MAX_FRAME = 32 * 1024;
export const MAX_PAYLOAD = MAX_FRAME - HEADER_SIZE;
/** Per stream and direction: the bytes a sender may have unacknowledged. */
export const WINDOW = 256 * 1024;
export const MAX_STREAMS = 128;
export const MAX_LISTENERS = 64;
export const MAX_REASON = 200;
/** Zero bytes sent before every SYNC: they finish any frame the guest was in the middle of. */
export const PAD_SIZE = MAX_FRAME + HEADER_SIZE;
export const SYNC_MAGIC = Buffer.from('UVMKSYNC', 'latin1');
export const HELLO_MAGIC = Buffer.from('UVMKHELO', 'latin1');
const SYNC_PAYLOAD = 24;
const HELLO_BASE = 24;

export interface RelayFrame {
  readonly type: FrameType;
  readonly stream: number;
  /** A view into the received bytes (valid as long as the caller keeps it). */
  readonly payload: Buffer;
}

export interface HelloFrame {
  readonly version: number;
  readonly window: number;
  /** The services the guest listens for (lower-case GUIDs). */
  readonly listeners: readonly string[];
}

/** The peer broke the protocol: the relay resets its connection (all streams) and resyncs. */
export class RelayProtocolError extends Error {
  readonly code = 'RelayProtocol' as const;
  constructor(message: string) {
    super(message);
    this.name = 'RelayProtocolError';
  }
}

function putHeader(out: Buffer, type: FrameType, stream: number, len: number): void {
  if (len > MAX_PAYLOAD) throw new RangeError(`relay frame payload ${len} > ${MAX_PAYLOAD}`);
  out.writeUInt8(type, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(len, 2);
  out.writeUInt32LE(stream >>> 0, 4);
}

export function encodeFrame(type: FrameType, stream: number, payload?: Buffer): Buffer {
  const len = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(HEADER_SIZE + len);
  putHeader(out, type, stream, len);
  if (payload !== undefined) payload.copy(out, HEADER_SIZE);
  return out;
}

/** Just the 8-byte header of a frame whose `len` payload bytes the caller writes right after it. */
export function encodeHeader(type: FrameType, stream: number, len: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE);
  putHeader(out, type, stream, len);
  return out;
}

export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/** PAD + SYNC: what the host writes on every (re)connect and resync. */
export function encodeSync(nonce: Buffer): Buffer {
  const p = Buffer.alloc(SYNC_PAYLOAD);
  SYNC_MAGIC.copy(p, 0);
  nonce.copy(p, 8, 0, 8);
  p.writeUInt16LE(RELAY_VERSION, 16);
  p.writeUInt32LE(WINDOW, 20);
  return Buffer.concat([Buffer.alloc(PAD_SIZE), encodeFrame(FrameType.Sync, 0, p)]);
}

/** The guest's HELLO (the host only decodes it; tests encode it). */
export function encodeHello(nonce: Buffer, listeners: readonly string[]): Buffer {
  const p = Buffer.alloc(HELLO_BASE + 16 * listeners.length);
  HELLO_MAGIC.copy(p, 0);
  nonce.copy(p, 8, 0, 8);
  p.writeUInt16LE(RELAY_VERSION, 16);
  p.writeUInt16LE(listeners.length, 18);
  p.writeUInt32LE(WINDOW, 20);
  listeners.forEach((g, i) => {
    guidToBytes(g).copy(p, HELLO_BASE + 16 * i);
  });
  return encodeFrame(FrameType.Hello, 0, p);
}

export function encodeOpenFail(stream: number, code: OpenFailCode, reason: string): Buffer {
  const text = Buffer.from(reason.replace(/[^\x20-\x7e]/g, '?'), 'latin1').subarray(0, MAX_REASON);
  return encodeFrame(FrameType.OpenFail, stream, Buffer.concat([u32(code), text]));
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A GUID travels as its 16 bytes in textual order (not the Windows mixed-endian layout). */
export function guidToBytes(guid: string): Buffer {
  if (!GUID_RE.test(guid)) throw new RangeError(`not a GUID: ${guid}`);
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

export function bytesToGuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function decodeHello(payload: Buffer): HelloFrame {
  const n = payload.readUInt16LE(18);
  if (payload.length !== HELLO_BASE + 16 * n) throw new RelayProtocolError('HELLO listener count mismatch');
  const listeners: string[] = [];
  for (let i = 0; i < n; i++)
    listeners.push(bytesToGuid(payload.subarray(HELLO_BASE + 16 * i, HELLO_BASE + 16 * i + 16)));
  return { version: payload.readUInt16LE(16), window: payload.readUInt32LE(20), listeners };
}

const isGuestId = (s: number) => (s & 1) === 1;
const isHostId = (s: number) => s !== 0 && (s & 1) === 0;

/** Shape rules of a guest→host frame; undefined when valid, else the reason. */
export function checkGuestFrame(type: number, stream: number, p: Buffer): string | undefined {
  const len = p.length;
  switch (type) {
    case FrameType.Hello:
      if (stream !== 0 || len < HELLO_BASE || (len - HELLO_BASE) % 16 !== 0) return 'bad HELLO shape';
      if (!p.subarray(0, 8).equals(HELLO_MAGIC)) return 'bad HELLO magic';
      if ((len - HELLO_BASE) / 16 > MAX_LISTENERS || p.readUInt16LE(18) !== (len - HELLO_BASE) / 16)
        return 'bad HELLO listener count';
      return undefined;
    case FrameType.Resync:
      return stream === 0 && len <= MAX_REASON ? undefined : 'bad RESYNC shape';
    case FrameType.Open:
      return isGuestId(stream) && len === 16 ? undefined : 'bad OPEN shape';
    case FrameType.OpenOk:
      return isHostId(stream) && len === 0 ? undefined : 'bad OPEN_OK shape';
    case FrameType.OpenFail:
      return isHostId(stream) && len >= 4 && len <= 4 + MAX_REASON ? undefined : 'bad OPEN_FAIL shape';
    case FrameType.Data:
      return stream !== 0 && len > 0 ? undefined : 'bad DATA shape';
    case FrameType.Credit: {
      if (stream === 0 || len !== 4) return 'bad CREDIT shape';
      const v = p.readUInt32LE(0);
      return v > 0 && v <= WINDOW ? undefined : 'bad CREDIT value';
    }
    case FrameType.Close:
      return stream !== 0 && len === 0 ? undefined : 'bad CLOSE shape';
    case FrameType.Reset:
      return stream !== 0 && len === 4 ? undefined : 'bad RESET shape';
    case FrameType.Listen:
    case FrameType.Unlisten:
      return stream === 0 && len === 16 ? undefined : 'bad LISTEN shape';
    case FrameType.Pad:
      return 'zero frame type';
    default:
      return `frame type ${type} not sent by the guest`;
  }
}

/**
 * Incremental decoder of guest→host frames. Holds at most one partial frame (32 KiB) while
 * synced, and at most 23 bytes of tail while scanning for a HELLO.
 */
export class RelayDecoder {
  #buf: Buffer = Buffer.alloc(0);
  /** The HELLO marker looked for (magic + nonce); undefined once synced. */
  #marker: Buffer | undefined;

  /** Scan for the HELLO answering `nonce`, discarding everything before it. */
  expect(nonce: Buffer): void {
    this.#marker = Buffer.concat([HELLO_MAGIC, nonce.subarray(0, 8)]);
    this.#buf = Buffer.alloc(0);
  }

  get scanning(): boolean {
    return this.#marker !== undefined;
  }

  /**
   * Feed bytes. `onHello` gets the awaited HELLO (the decoder is then synced); every later frame
   * goes to `onFrame`. Throws `RelayProtocolError` on a malformed frame (the caller resyncs).
   */
  push(chunk: Buffer, onFrame: (f: RelayFrame) => void, onHello: (h: HelloFrame) => void): void {
    let buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    let off = 0;
    try {
      for (;;) {
        if (this.#marker !== undefined) {
          const at = this.#scan(buf, off);
          if (at < 0) {
            const keep = Math.min(buf.length - off, HEADER_SIZE + this.#marker.length - 1);
            buf = buf.subarray(buf.length - keep);
            off = 0;
            return;
          }
          off = at;
        }
        if (buf.length - off < HEADER_SIZE) return;
        const type = buf.readUInt8(off);
        const flags = buf.readUInt8(off + 1);
        const len = buf.readUInt16LE(off + 2);
        const stream = buf.readUInt32LE(off + 4);
        if (flags !== 0) throw new RelayProtocolError('nonzero flags');
        if (len > MAX_PAYLOAD) throw new RelayProtocolError(`payload length ${len} > ${MAX_PAYLOAD}`);
        if (buf.length - off < HEADER_SIZE + len) return;
        const payload = buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + len);
        const why = checkGuestFrame(type, stream, payload);
        if (why !== undefined) throw new RelayProtocolError(why);
        off += HEADER_SIZE + len;
        if (this.#marker !== undefined) {
          this.#marker = undefined;
          onHello(decodeHello(payload));
        } else {
          onFrame({ type: type as FrameType, stream, payload });
        }
      }
    } finally {
      this.#buf = off >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    }
  }

  /** The offset of a HELLO header whose payload starts with the marker, or -1. */
  #scan(buf: Buffer, from: number): number {
    const marker = this.#marker!;
    for (let i = buf.indexOf(marker, from + HEADER_SIZE); i >= 0; i = buf.indexOf(marker, i + 1)) {
      const h = i - HEADER_SIZE;
      if (buf.readUInt8(h) === FrameType.Hello && buf.readUInt8(h + 1) === 0 && buf.readUInt32LE(h + 4) === 0)
        return h;
    }
    return -1;
  }
}
