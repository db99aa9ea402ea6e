import { GCS_MAX_FRAME } from '@uvmkit/hcs-schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  type GuestFrame,
  GuestFrameDecoder,
  GuestFrameError,
  MAX_INBOUND_FRAME,
} from '../src/hcsd/engines/sim/guest/frame.js';
import { responseType } from '../src/hcsd/engines/sim/guest/protocol.js';
import { hvsockPath } from '../src/hcsd/hvsock.js';

const NEGOTIATE =
  '{"ContainerId":"","ActivityId":"00000000-0000-0000-0000-000000000000","MinimumVersion":4,"MaximumVersion":4}\n';

describe('guest frame codec', () => {
  it('encodes the host’s first frame exactly as gcs-protocol.md §2.1 computes it', () => {
    const f = encodeFrame(0x10100b01, 0n, NEGOTIATE);
    expect(f.length).toBe(125);
    expect(f.subarray(0, 16).toString('hex')).toBe('010b10107d0000000000000000000000');
  });

  it('decodes frames split at every byte boundary, and back-to-back frames in one chunk', () => {
    const a = encodeFrame(0x10100b01, 0n, NEGOTIATE);
    const b = encodeFrame(0x10100a01, 0xfffffffffffffffen, '{}');
    const c = encodeFrame(0x10100c01, 7n, '');
    const all = Buffer.concat([a, b, c]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new GuestFrameDecoder();
      const out: GuestFrame[] = [];
      d.push(all.subarray(0, cut), (f) => out.push(f));
      d.push(all.subarray(cut), (f) => out.push(f));
      expect(out.map((f) => [f.type, f.id, f.payload.toString()])).toEqual([
        [0x10100b01, 0n, NEGOTIATE],
        [0x10100a01, 0xfffffffffffffffen, '{}'],
        [0x10100c01, 7n, ''],
      ]);
    }
    const d = new GuestFrameDecoder();
    const out: GuestFrame[] = [];
    for (const byte of all) d.push(Buffer.from([byte]), (f) => out.push(f));
    expect(out.length).toBe(3);
  });

  it('rejects Size < 16 with a typed error', () => {
    const small = Buffer.alloc(16);
    small.writeUInt32LE(15, 4);
    const err = (() => {
      try {
        new GuestFrameDecoder().push(small, () => {});
      } catch (e) {
        return e as GuestFrameError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(GuestFrameError);
    expect(err?.code).toBe('GcsFrame');
    expect(err?.message).toBe('invalid message size 15 (< 16)');
  });

  it('the guest limit is GCS_MAX_FRAME; a larger frame is reported once by its header, its payload skipped at any split', () => {
    expect(MAX_INBOUND_FRAME).toBe(GCS_MAX_FRAME);
    expect(MAX_INBOUND_FRAME).toBe(0x10000);
    const atLimit = encodeFrame(0x10100a01, 1n, Buffer.alloc(MAX_INBOUND_FRAME - 16, 0x20));
    const over = encodeFrame(0x10100a01, 2n, Buffer.alloc(MAX_INBOUND_FRAME - 15, 0x20));
    const after = encodeFrame(0x10100c01, 3n, '{}');
    const all = Buffer.concat([atLimit, over, after]);
    for (const cut of [
      1,
      15,
      16,
      17,
      atLimit.length,
      atLimit.length + 16,
      atLimit.length + 100,
      all.length - 1,
    ]) {
      const d = new GuestFrameDecoder();
      const out: GuestFrame[] = [];
      d.push(all.subarray(0, cut), (f) => out.push(f));
      d.push(all.subarray(cut), (f) => out.push(f));
      expect(
        out.map((f) => [f.id, f.payload.length, f.oversized]),
        String(cut),
      ).toEqual([
        [1n, MAX_INBOUND_FRAME - 16, undefined],
        [2n, 0, MAX_INBOUND_FRAME + 1],
        [3n, 2, undefined],
      ]);
    }
  });

  it('response type = top nibble 2, low 28 bits copied', () => {
    expect(responseType(0x10100b01)).toBe(0x20100b01);
    expect(responseType(0x10200101)).toBe(0x20200101);
    expect(responseType(0x1fffffff)).toBe(0x2fffffff);
  });

  it('HvSocket path: <dir>/<vmId>-<serviceId>.sock, lower-case, $UVMKIT_HVSOCK_DIR or <runtime dir>/hvsock', () => {
    expect(
      hvsockPath('F28B874D-0F12-4E7B-8F62-BE76796215ED', '40000000-FACB-11E6-BD58-64006A7986D3', {
        UVMKIT_HVSOCK_DIR: '/run/hv',
      }),
    ).toBe('/run/hv/f28b874d-0f12-4e7b-8f62-be76796215ed-40000000-facb-11e6-bd58-64006a7986d3.sock');
    expect(hvsockPath('a', 'b', { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(
      '/run/user/1000/uvmkit/hvsock/a-b.sock',
    );
  });
});

describe('guest frame codec (property)', () => {
  it('any frames, split at any points, decode to the same frames; the decoder holds at most one partial frame', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.integer({ min: 0, max: 0xffffffff }),
            id: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
            payload: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, Buffer.from(f.payload))));
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          const d = new GuestFrameDecoder();
          const out: GuestFrame[] = [];
          let prev = 0;
          for (const p of [...points, wire.length]) {
            d.push(wire.subarray(prev, p), (f) => out.push(f));
            prev = p;
          }
          expect(out.map((f) => [f.type, f.id, Buffer.from(f.payload).toString('hex')])).toEqual(
            frames.map((f) => [f.type, f.id, Buffer.from(f.payload).toString('hex')]),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
