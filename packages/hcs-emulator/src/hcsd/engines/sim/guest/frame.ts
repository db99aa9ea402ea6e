/**
 * The guest side's own codec of the GCS bridge framing (gcs-protocol.md §2): a 16-byte
 * little-endian header `{Type u32, Size u32 (header included), ID u64}` followed by a UTF-8 JSON
 * payload. Independent of any host-side implementation, as the real guest's code is (the codec is
 * re-implemented on purpose; the limits are shared values, from `@uvmkit/hcs-schema`).
 */
import { GCS_HEADER_SIZE, GCS_MAX_FRAME } from '@uvmkit/hcs-schema';

export const HEADER_SIZE = GCS_HEADER_SIZE;
/**
 * The largest frame the emulated guest accepts from the host: `GCS_MAX_FRAME` (64 KiB), as the
 * C agent of `@uvmkit/linux-guest`. The Linux GCS has no maximum; a larger frame is reported
 * once (`oversized`, no payload), its payload skipped as it arrives, and the agent answers it
 * `E_INVALIDARG` as the C agent does.
 */
export const MAX_INBOUND_FRAME = GCS_MAX_FRAME;
/** The host's receive limit (header included): frames the guest sends must not exceed it. */
export const HOST_MAX_FRAME = GCS_MAX_FRAME;

export interface GuestFrame {
  readonly type: number;
  readonly id: bigint;
  readonly payload: Buffer;
  /** Set (to the frame's Size) for a frame over {@link MAX_INBOUND_FRAME}: `payload` is empty. */
  readonly oversized?: number;
}

/** The host broke the framing: the connection is dropped. */
export class GuestFrameError extends Error {
  readonly code = 'GcsFrame' as const;
  constructor(message: string) {
    super(message);
    this.name = 'GuestFrameError';
  }
}

/** Encode one frame; `payload` is the exact bytes after the header. */
export function encodeFrame(type: number, id: bigint, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  out.writeUInt32LE(type >>> 0, 0);
  out.writeUInt32LE(HEADER_SIZE + body.length, 4);
  out.writeBigUInt64LE(BigInt.asUintN(64, id), 8);
  body.copy(out, HEADER_SIZE);
  return out;
}

/**
 * Incremental decoder: accepts arbitrary chunk splits; holds at most one partial frame (at most
 * {@link MAX_INBOUND_FRAME} bytes): an oversized frame is reported by its header and skipped.
 */
export class GuestFrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** payload bytes of an oversized frame still to discard */
  #skip = 0;

  /** Feed bytes; calls `onFrame` for each complete frame. Throws `GuestFrameError` on a Size < 16. */
  push(chunk: Buffer, onFrame: (f: GuestFrame) => void): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#buffered);
        if (n === 0) return;
        this.#take(n);
        this.#skip -= n;
        continue;
      }
      if (this.#buffered < HEADER_SIZE) return;
      const head = this.#peek(HEADER_SIZE);
      const size = head.readUInt32LE(4);
      if (size < HEADER_SIZE) throw new GuestFrameError(`invalid message size ${size} (< ${HEADER_SIZE})`);
      if (size > MAX_INBOUND_FRAME) {
        const h = Buffer.from(this.#take(HEADER_SIZE));
        this.#skip = size - HEADER_SIZE;
        onFrame({
          type: h.readUInt32LE(0),
          id: h.readBigUInt64LE(8),
          payload: Buffer.alloc(0),
          oversized: size,
        });
        continue;
      }
      if (this.#buffered < size) return;
      const whole = this.#take(size);
      onFrame({
        type: whole.readUInt32LE(0),
        id: whole.readBigUInt64LE(8),
        payload: whole.subarray(HEADER_SIZE),
      });
    }
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [all];
    return all.subarray(0, n);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}
