import { describe, expect, it } from 'vitest';
import {
  decodeEventBody,
  decodeRequestBody,
  decodeResponseBody,
  encodeEvent,
  encodeRequest,
  encodeResponse,
  type Frame,
  FrameDecoder,
  FrameError,
  MAX_FRAME,
} from '../src/hcsd/codec.js';

function collect(decoder: FrameDecoder, chunks: Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const ch of chunks) decoder.push(ch, (f) => out.push({ ...f, body: Buffer.from(f.body) }));
  return out;
}

describe('codec', () => {
  it('round-trips requests, responses and events (absent strings, Unicode, u64 tokens)', () => {
    const req = encodeRequest(13, 0xfffffffe, 0xfedcba9876543210n, ['ü-日本-🚀', null, '']);
    expect(req.readUInt32LE(0)).toBe(req.length - 4);
    const [f] = collect(new FrameDecoder(), [req]);
    expect(f).toMatchObject({ kind: 1, method: 13, id: 0xfffffffe });
    expect(decodeRequestBody(f!.body)).toEqual({ token: 0xfedcba9876543210n, args: ['ü-日本-🚀', null, ''] });

    const res = encodeResponse(2, 7, 0x8037010e, 42n, '{"Error":1}');
    const [g] = collect(new FrameDecoder(), [res]);
    expect(g).toMatchObject({ kind: 2, method: 2, id: 7 });
    expect(decodeResponseBody(g!.body)).toEqual({ hresult: 0x8037010e, value: 42n, document: '{"Error":1}' });

    const ev = encodeEvent(9n, 0x02000000, null);
    const [h] = collect(new FrameDecoder(), [ev]);
    expect(h).toMatchObject({ kind: 3, method: 0, id: 0 });
    expect(decodeEventBody(h!.body)).toEqual({ token: 9n, eventType: 0x02000000, eventData: null });
  });

  it('reassembles frames split at every byte position', () => {
    const a = encodeRequest(1, 1, 0n, ['hello', '1', '1']);
    const b = encodeRequest(12, 2, 5n, ['{"PropertyTypes":["Memory"]}']);
    const all = Buffer.concat([a, b]);
    for (let cut = 1; cut < all.length; cut++) {
      const frames = collect(new FrameDecoder(), [all.subarray(0, cut), all.subarray(cut)]);
      expect(
        frames.map((f) => f.id),
        `cut ${cut}`,
      ).toEqual([1, 2]);
    }
    const bytewise = collect(
      new FrameDecoder(),
      [...all].map((x) => Buffer.from([x])),
    );
    expect(bytewise.map((f) => decodeRequestBody(f.body).args)).toEqual([
      ['hello', '1', '1'],
      ['{"PropertyTypes":["Memory"]}'],
    ]);
  });

  it('a large frame in many chunks arrives whole', () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const frame = encodeRequest(13, 3, 1n, [big]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 65536) chunks.push(frame.subarray(i, i + 65536));
    const d = new FrameDecoder();
    const frames = collect(d, chunks);
    expect(frames).toHaveLength(1);
    expect(decodeRequestBody(frames[0]!.body).args[0]).toHaveLength(big.length);
    expect(d.buffered).toBe(0);
  });

  it('rejects bad lengths and kinds as soon as they are visible', () => {
    const tooBig = Buffer.alloc(4);
    tooBig.writeUInt32LE(MAX_FRAME + 1, 0);
    expect(() => collect(new FrameDecoder(), [tooBig])).toThrow(FrameError);
    expect(() => collect(new FrameDecoder(), [Buffer.from([7, 0, 0, 0])])).toThrow(/shorter than the header/);
    const badKind = Buffer.from([8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => collect(new FrameDecoder(), [badKind])).toThrow(/unknown frame kind 4/);
    const maxOk = Buffer.alloc(12);
    maxOk.writeUInt32LE(MAX_FRAME, 0);
    maxOk[4] = 1;
    const d = new FrameDecoder();
    expect(collect(d, [maxOk])).toEqual([]);
    expect(d.buffered).toBe(12);
  });

  it('rejects truncated and over-long request bodies', () => {
    expect(() => decodeRequestBody(Buffer.alloc(11))).toThrow(FrameError);
    const body = Buffer.alloc(12 + 4);
    body.writeUInt32LE(1, 8);
    body.writeUInt32LE(5, 12);
    expect(() => decodeRequestBody(body)).toThrow(/truncated/);
    const trailing = Buffer.alloc(13);
    expect(() => decodeRequestBody(trailing)).toThrow(/trailing/);
    const hugeArgc = Buffer.alloc(12);
    hugeArgc.writeUInt32LE(0xffffffff, 8);
    expect(() => decodeRequestBody(hugeArgc)).toThrow(FrameError);
  });
});
