/**
 * Bridge framing (gcs-protocol.md §2.1, §2.4): a 16-byte little-endian header
 * `{ u32 Type; u32 Size (header included); u64 ID }` followed by `Size − 16` bytes of UTF-8 JSON.
 *
 * {@link FrameDecoder} is incremental (any chunk split) and bounded: a frame's `Size` is checked
 * as soon as its header is complete, so at most one frame (≤ `maxFrameSize` bytes) is ever
 * buffered beyond what the current `push` hands back.
 */
import { GCS_HEADER_SIZE, GCS_MAX_FRAME } from '@uvmkit/hcs-schema';
import { BridgeProtocolError, ProtocolViolation } from '../errors.js';

/** Bytes of a frame header (`GCS_HEADER_SIZE` of `@uvmkit/hcs-schema`). */
export const HEADER_SIZE = GCS_HEADER_SIZE;
/**
 * The host's inbound limit, header included (hcsshim `MaxMsgSize`): `GCS_MAX_FRAME` of
 * `@uvmkit/hcs-schema`, the limit both guest agents apply to what they receive too.
 */
export const MAX_INBOUND_FRAME = GCS_MAX_FRAME;

/** One decoded frame. `payload` is the raw JSON bytes. */
export interface Frame {
  readonly type: number;
  readonly id: bigint;
  readonly payload: Buffer;
  /** Set (to the frame's Size) for an oversized frame the decoder skipped: `payload` is empty. */
  readonly oversized?: number;
}

/**
 * Asked for a frame whose Size is over the limit: return true to skip its payload (the frame
 * boundary is trusted: it is a response to a call in flight) instead of failing the decoder.
 */
export type OversizedFrameFilter = (type: number, id: bigint, size: number) => boolean;

/** The largest oversized frame that is ever skipped rather than treated as a broken stream. */
export const MAX_SKIPPED_FRAME = 16 * 1024 * 1024;

/** Encode one frame. `payload` is JSON text (or bytes). No outbound size limit (as the Go host). */
export function encodeFrame(type: number, id: bigint, payload: string | Uint8Array): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  const size = HEADER_SIZE + length;
  if (size > 0xffffffff) throw new RangeError('frame larger than 4 GiB');
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(type >>> 0, 0);
  out.writeUInt32LE(size, 4);
  out.writeBigUInt64LE(BigInt.asUintN(64, id), 8);
  if (typeof payload === 'string') out.write(payload, HEADER_SIZE, 'utf8');
  else out.set(payload, HEADER_SIZE);
  return out;
}

/** Incremental decoder. After an error it stays failed (every later push throws the same error). */
export class FrameDecoder {
  readonly maxFrameSize: number;
  #chunks: Buffer[] = [];
  #length = 0;
  #failed: BridgeProtocolError | undefined;
  #header: { type: number; size: number; id: bigint } | undefined;
  /** payload bytes of a skipped oversized frame still to discard */
  #skip = 0;
  readonly #filter: OversizedFrameFilter | undefined;

  constructor(maxFrameSize: number = MAX_INBOUND_FRAME, onOversized?: OversizedFrameFilter) {
    this.#filter = onOversized;
    if (!Number.isInteger(maxFrameSize) || maxFrameSize < HEADER_SIZE || maxFrameSize > 0xffffffff) {
      throw new RangeError(`maxFrameSize must be an integer ${HEADER_SIZE}..0xFFFFFFFF`);
    }
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes held for the next, incomplete frame (always < maxFrameSize after a push returns). */
  get buffered(): number {
    return this.#length;
  }

  /** Feed bytes; returns every frame they complete, in order. Throws BridgeProtocolError on a bad size. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failed !== undefined) throw this.#failed;
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#length += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#length);
        if (n === 0) break;
        this.#drop(n);
        this.#skip -= n;
        continue;
      }
      if (this.#header === undefined) {
        if (this.#length < HEADER_SIZE) break;
        const h = this.#take(HEADER_SIZE);
        const type = h.readUInt32LE(0);
        const size = h.readUInt32LE(4);
        const id = h.readBigUInt64LE(8);
        if (size < HEADER_SIZE) {
          this.#failed = new BridgeProtocolError(
            ProtocolViolation.UndersizedFrame,
            `invalid message size ${size} (< ${HEADER_SIZE}) in frame type 0x${type.toString(16)} ID ${id}`,
          );
          throw this.#fail();
        }
        if (
          size > this.maxFrameSize &&
          size <= MAX_SKIPPED_FRAME &&
          this.#filter?.(type, id, size) === true
        ) {
          frames.push({ type, id, payload: Buffer.alloc(0), oversized: size });
          this.#skip = size - HEADER_SIZE;
          continue;
        }
        if (size > this.maxFrameSize) {
          this.#failed = new BridgeProtocolError(
            ProtocolViolation.OversizedFrame,
            `invalid message size ${size} (> 0x${this.maxFrameSize.toString(16)}) in frame type 0x${type.toString(16)} ID ${id}`,
          );
          throw this.#fail();
        }
        this.#header = { type, size, id };
      }
      const need = this.#header.size - HEADER_SIZE;
      if (this.#length < need) break;
      const payload = need === 0 ? Buffer.alloc(0) : Buffer.from(this.#take(need));
      frames.push({ type: this.#header.type, id: this.#header.id, payload });
      this.#header = undefined;
    }
    // Do not let a small leftover pin a large input buffer: copy it out (each byte at most once).
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Buffer;
      if (c.buffer.byteLength > 2 * c.length + 4096) this.#chunks[i] = Buffer.from(c);
    }
    return frames;
  }

  #fail(): BridgeProtocolError {
    this.#chunks = [];
    this.#length = 0;
    return this.#failed as BridgeProtocolError;
  }

  /** Discard the next `n` bytes (n ≤ buffered) without copying them. */
  #drop(n: number): void {
    this.#length -= n;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0] as Buffer;
      if (c.length <= left) {
        this.#chunks.shift();
        left -= c.length;
      } else {
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
  }

  /** Remove and return the next `n` bytes (n ≤ buffered). May alias the input for a single chunk. */
  #take(n: number): Buffer {
    this.#length -= n;
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0] as Buffer;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}
