/** The frame codec: exact bytes, limits, and (fast-check) arbitrary splits of arbitrary streams. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame, FrameDecoder, MAX_INBOUND_FRAME } from '../src/bridge/frame.js';
import { RpcProc, requestType, responseType } from '../src/bridge/protocol.js';
import { BridgeProtocolError } from '../src/errors.js';

const NEGOTIATE =
  '{"ContainerId":"","ActivityId":"00000000-0000-0000-0000-000000000000","MinimumVersion":4,"MaximumVersion":4}\n';

function decodeSplit(bytes: Buffer, cuts: number[], max = MAX_INBOUND_FRAME) {
  const d = new FrameDecoder(max);
  const frames: Frame[] = [];
  let error: BridgeProtocolError | undefined;
  let maxBuffered = 0;
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    try {
      frames.push(...d.push(bytes.subarray(prev, p)));
    } catch (err) {
      error = err as BridgeProtocolError;
      break;
    }
    maxBuffered = Math.max(maxBuffered, d.buffered);
    prev = p;
  }
  return { frames, error, maxBuffered };
}

describe('frame codec', () => {
  it('encodes the host’s first frame exactly as gcs-protocol.md §2.1 computes it (125 bytes)', () => {
    expect(Buffer.byteLength(NEGOTIATE)).toBe(109);
    const f = encodeFrame(requestType(RpcProc.NegotiateProtocol), 0n, NEGOTIATE);
    expect(f.length).toBe(125);
    expect(f.subarray(0, 16).toString('hex')).toBe('010b1010' + '7d000000' + '0000000000000000');
    expect(f.subarray(16).toString()).toBe(NEGOTIATE);
  });

  it('type helpers: request 0x10100b01, response 0x20100b01, IDs are u64 little-endian', () => {
    expect(requestType(RpcProc.ModifySettings)).toBe(0x10100a01);
    expect(responseType(0x10100a01)).toBe(0x20100a01);
    expect(responseType(RpcProc.ModifyServiceSettings)).toBe(0x20200101);
    const f = encodeFrame(0x20100101, 0xfedcba9876543210n, '{}');
    expect(f.subarray(8, 16).toString('hex')).toBe('1032547698badcfe');
    expect(new FrameDecoder().push(f)).toEqual([
      { type: 0x20100101, id: 0xfedcba9876543210n, payload: Buffer.from('{}') },
    ]);
  });

  it('Size exactly 0x10000 is accepted; 0x10001 and < 16 are typed errors, and the decoder stays failed', () => {
    const big = encodeFrame(0x20100a01, 1n, Buffer.alloc(MAX_INBOUND_FRAME - 16, 0x20));
    expect(new FrameDecoder().push(big)).toHaveLength(1);
    const d = new FrameDecoder();
    const over = Buffer.alloc(16);
    over.writeUInt32LE(0x20100a01, 0);
    over.writeUInt32LE(0x10001, 4);
    let err: unknown;
    try {
      d.push(over);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BridgeProtocolError);
    expect((err as BridgeProtocolError).violation).toBe('OversizedFrame');
    expect((err as BridgeProtocolError).code).toBe('BridgeProtocolError');
    expect(d.buffered).toBe(0);
    expect(() => d.push(Buffer.from([1]))).toThrow(/OversizedFrame/);
    const under = Buffer.alloc(16);
    under.writeUInt32LE(15, 4);
    expect(() => new FrameDecoder().push(under)).toThrow(/UndersizedFrame: invalid message size 15/);
  });

  it('a zero-length payload (Size 16) decodes to an empty payload', () => {
    expect(new FrameDecoder().push(encodeFrame(0x20100101, 7n, ''))).toEqual([
      { type: 0x20100101, id: 7n, payload: Buffer.alloc(0) },
    ]);
  });

  it('property: any frames, split anywhere, decode to the same frames; buffered < limit', () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 0, max: 0xffffffff }),
      id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      payload: fc.uint8Array({ maxLength: 600 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload)));
          const r = decodeSplit(bytes, cuts, 1024);
          expect(r.error).toBeUndefined();
          expect(
            r.frames.map((f) => ({ type: f.type, id: f.id, payload: new Uint8Array(f.payload) })),
          ).toEqual(frames.map((f) => ({ type: f.type, id: f.id, payload: new Uint8Array(f.payload) })));
          expect(r.maxBuffered).toBeLessThan(1024);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary byte streams give the same frames-or-typed-error at every split, bounded memory', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 16, max: 512 }),
        (data, cuts, max) => {
          const bytes = Buffer.from(data);
          const whole = decodeSplit(bytes, [], max);
          const split = decodeSplit(bytes, cuts, max);
          expect(split.frames).toEqual(whole.frames);
          expect(split.error?.violation).toBe(whole.error?.violation);
          if (split.error !== undefined) expect(split.error).toBeInstanceOf(BridgeProtocolError);
          expect(split.maxBuffered).toBeLessThan(max);
          for (const f of split.frames) expect(f.payload.length).toBeLessThanOrEqual(max - 16);
        },
      ),
      { numRuns: 400 },
    );
  });
});
