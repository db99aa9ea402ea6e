/** The relay's host-side codec: exact bytes, arbitrary splits, the HELLO scan, shape errors. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bytesToGuid,
  encodeFrame,
  encodeHello,
  encodeOpenFail,
  encodeSync,
  FrameType,
  guidToBytes,
  type HelloFrame,
  MAX_PAYLOAD,
  PAD_SIZE,
  RelayDecoder,
  type RelayFrame,
  RelayProtocolError,
  u32,
} from '../src/hcsd/engines/qemu/relay-frame.js';

const GUID = '40000000-facb-11e6-bd58-64006a7986d3';

function decodeAll(dec: RelayDecoder, bytes: Buffer, splits: number[]) {
  const frames: { type: number; stream: number; payload: string }[] = [];
  const hellos: HelloFrame[] = [];
  let at = 0;
  for (const cut of [...splits, bytes.length]) {
    dec.push(
      bytes.subarray(at, cut),
      (f: RelayFrame) => frames.push({ type: f.type, stream: f.stream, payload: f.payload.toString('hex') }),
      (h) => hellos.push(h),
    );
    at = cut;
  }
  return { frames, hellos };
}

/** Deterministic pseudo-random split points. */
function splitsOf(len: number, seed: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let at = 0; ; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    at += 1 + (x % 97);
    if (at >= len) return out;
    out.push(at);
  }
}

describe('relay codec', () => {
  it('encodes the header little-endian: type, flags 0, length, stream', () => {
    expect(encodeFrame(FrameType.Data, 0x01020304, Buffer.from('ab')).toString('hex')).toBe(
      '070002000403020161' + '62',
    );
    expect(encodeFrame(FrameType.Close, 5).toString('hex')).toBe('0900000005000000');
    expect(encodeOpenFail(2, 1, 'no\nlistener').toString('hex')).toBe(
      `06000f0002000000${'01000000'}${Buffer.from('no?listener').toString('hex')}`,
    );
    expect(() => encodeFrame(FrameType.Data, 1, Buffer.alloc(MAX_PAYLOAD + 1))).toThrow(RangeError);
  });

  it('SYNC is a 32776-byte pad then the 16-byte marker, nonce, version 1, window 256 KiB', () => {
    const nonce = Buffer.from('0102030405060708', 'hex');
    const b = encodeSync(nonce);
    expect(b.length).toBe(PAD_SIZE + 32);
    expect(b.subarray(0, PAD_SIZE).every((x) => x === 0)).toBe(true);
    expect(b.subarray(PAD_SIZE).toString('hex')).toBe(
      `0100180000000000${Buffer.from('UVMKSYNC').toString('hex')}0102030405060708010000000000${'0400'}`,
    );
  });

  it('GUIDs travel as 16 bytes in textual order', () => {
    expect(guidToBytes(GUID).toString('hex')).toBe('40000000facb11e6bd5864006a7986d3');
    expect(bytesToGuid(guidToBytes(GUID.toUpperCase()))).toBe(GUID);
    expect(() => guidToBytes('not-a-guid')).toThrow(RangeError);
  });

  it('scans for the HELLO of its nonce: earlier bytes, stale HELLOs and cut frames are discarded', () => {
    const nonce = randomBytes(8);
    const stream = Buffer.concat([
      encodeFrame(FrameType.Data, 3, Buffer.alloc(40_000 - 32_768 + 100, 1)).subarray(20), // a cut frame
      encodeHello(randomBytes(8), []), // answering an older SYNC
      randomBytes(5000),
      encodeHello(nonce, [GUID]),
      encodeFrame(FrameType.Open, 1, guidToBytes(GUID)),
      encodeFrame(FrameType.Data, 1, Buffer.from('hello')),
      encodeFrame(FrameType.Credit, 1, u32(65536)),
      encodeFrame(FrameType.Close, 1),
    ]);
    const want = {
      hellos: [{ version: 1, window: 262144, listeners: [GUID] }],
      frames: [
        { type: FrameType.Open, stream: 1, payload: '40000000facb11e6bd5864006a7986d3' },
        { type: FrameType.Data, stream: 1, payload: Buffer.from('hello').toString('hex') },
        { type: FrameType.Credit, stream: 1, payload: '00000100' },
        { type: FrameType.Close, stream: 1, payload: '' },
      ],
    };
    for (let seed = 1; seed <= 50; seed++) {
      const dec = new RelayDecoder();
      dec.expect(nonce);
      expect(decodeAll(dec, stream, splitsOf(stream.length, seed))).toEqual(want);
    }
    // and one byte at a time
    const dec = new RelayDecoder();
    dec.expect(nonce);
    expect(
      decodeAll(
        dec,
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(want);
  });

  it('holds a bounded tail while scanning', () => {
    const dec = new RelayDecoder();
    dec.expect(randomBytes(8));
    for (let i = 0; i < 100; i++) decodeAll(dec, randomBytes(65536), []);
    expect(dec.scanning).toBe(true);
  });

  const bad: [string, Buffer, string][] = [
    ['a zero frame type', Buffer.alloc(8), 'zero frame type'],
    ['nonzero flags', Buffer.from('0901000001000000', 'hex'), 'nonzero flags'],
    ['a length over 32760', Buffer.from('0700f97f01000000', 'hex'), 'payload length 32761 > 32760'],
    [
      'a SYNC (host only)',
      encodeFrame(FrameType.Sync, 0, Buffer.alloc(24)),
      'frame type 1 not sent by the guest',
    ],
    ['an OPEN with an even id', encodeFrame(FrameType.Open, 2, Buffer.alloc(16)), 'bad OPEN shape'],
    ['an OPEN_OK for a guest id', encodeFrame(FrameType.OpenOk, 3), 'bad OPEN_OK shape'],
    ['an empty DATA', encodeFrame(FrameType.Data, 1), 'bad DATA shape'],
    ['a CREDIT over the window', encodeFrame(FrameType.Credit, 1, u32(262145)), 'bad CREDIT value'],
    ['a RESET without a code', encodeFrame(FrameType.Reset, 1), 'bad RESET shape'],
    ['a LISTEN on a stream', encodeFrame(FrameType.Listen, 1, Buffer.alloc(16)), 'bad LISTEN shape'],
    [
      'a RESYNC reason over 200 bytes',
      encodeFrame(FrameType.Resync, 0, Buffer.alloc(201, 65)),
      'bad RESYNC shape',
    ],
    ['type 200', Buffer.from('c800000000000000', 'hex'), 'frame type 200 not sent by the guest'],
  ];

  it.each(bad)('rejects %s once synced', (_name, bytes, message) => {
    const nonce = randomBytes(8);
    const dec = new RelayDecoder();
    dec.expect(nonce);
    decodeAll(dec, encodeHello(nonce, []), []);
    expect(dec.scanning).toBe(false);
    expect(() => decodeAll(dec, bytes, [3])).toThrow(new RelayProtocolError(message));
  });

  it('rejects a HELLO whose count disagrees with its length', () => {
    const nonce = randomBytes(8);
    const h = encodeHello(nonce, [GUID]);
    h.writeUInt16LE(2, 8 + 18);
    const dec = new RelayDecoder();
    dec.expect(nonce);
    expect(() => decodeAll(dec, h, [])).toThrow(new RelayProtocolError('bad HELLO listener count'));
  });
});
