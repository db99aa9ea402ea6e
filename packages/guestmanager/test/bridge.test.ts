/**
 * The bridge against a fake guest on a real Unix socket: ID matching out of order, guest
 * failures, and every fatal rule (unknown ID, garbage, oversized, wrong type, EOF mid-RPC).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HcsError } from '@uvmkit/hcs-core';
import { rejection } from '@uvmkit/hcs-emulator/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ABANDONED_ID_CAP, Bridge, type ContainerNotification } from '../src/bridge/bridge.js';
import { RpcProc } from '../src/bridge/protocol.js';
import {
  BridgeClosedError,
  BridgeProtocolError,
  type GuestRpcError,
  ResponseTooLargeError,
  SendQueueFullError,
} from '../src/errors.js';
import { FakeGuest, frame, type Handler, socketPair } from './helpers/fake-guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-bridge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function pair(handler?: Handler) {
  const { host, guest } = await socketPair(join(dir, `p${++n}.sock`));
  const bridge = new Bridge(host, { vmId: 'vm-test' });
  const fake = new FakeGuest(guest, handler);
  return { bridge, fake };
}

const BASE = {
  ContainerId: '00000000-0000-0000-0000-000000000000',
  ActivityId: '00000000-0000-0000-0000-000000000000',
};

describe('Bridge', () => {
  it('sends IDs 0,1,2… with one JSON line each and matches out-of-order responses by ID', async () => {
    const { bridge, fake } = await pair(() => undefined);
    const calls = [0, 1, 2].map((i) => bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: { i } }));
    await fake.waitFor(3);
    expect(fake.received.map((r) => r.id)).toEqual([0n, 1n, 2n]);
    expect(fake.received.map((r) => r.type)).toEqual([0x10100a01, 0x10100a01, 0x10100a01]);
    expect(fake.received[1]?.raw.subarray(16).toString()).toBe(
      `${JSON.stringify({ ...BASE, Request: { i: 1 } })}\n`,
    );
    for (const r of [...fake.received].reverse())
      fake.reply(r, { Echo: (r.body.Request as { i: number }).i });
    const results = await Promise.all(calls);
    expect(results).toEqual([
      { Result: 0, Echo: 0 },
      { Result: 0, Echo: 1 },
      { Result: 0, Echo: 2 },
    ]);
    expect(bridge.pendingCount).toBe(0);
    expect(bridge.nextId).toBe(3n);
    await bridge.close();
  });

  it('a failure Result rejects that call only, named after the HRESULT, with ErrorMessage and ErrorRecords', async () => {
    const { bridge } = await pair((req, g) => {
      if ((req.body.Request as { fail?: boolean } | undefined)?.fail) {
        return {
          Result: -2147023728,
          ErrorMessage: 'no such device',
          ErrorRecords: [
            { Result: -2147023728, Message: 'no such device', ModuleName: 'gcs', Line: 4294967295 },
          ],
        };
      }
      return g.defaultAnswer(req);
    });
    const err = await rejection<GuestRpcError>(
      bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: { fail: true } }),
    );
    expect(err).toBeInstanceOf(HcsError);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(err.hresult).toBe(0x80070490);
    expect(err.hcsMessage).toBe('no such device');
    expect(err.op).toBe('ModifySettings');
    expect(err.id).toBe('vm-test');
    expect(err.errorRecords).toEqual([
      { Result: -2147023728, Message: 'no such device', ModuleName: 'gcs', Line: 4294967295 },
    ]);
    expect(await bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} })).toEqual({ Result: 0 });
    const notimpl = await rejection<HcsError>(bridge.rpc(RpcProc.DumpStacks, BASE));
    expect(notimpl.code).toBe('E_NOTIMPL');
    expect(bridge.closed).toBe(false);
    await bridge.close();
  });

  async function fatal(write: (fake: FakeGuest) => void) {
    const { bridge, fake } = await pair(() => undefined);
    const pending = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} });
    await fake.waitFor(1);
    write(fake);
    const err = await rejection<BridgeClosedError>(pending);
    expect(err).toBeInstanceOf(BridgeClosedError);
    expect(err.code).toBe('BridgeClosed');
    expect(bridge.closed).toBe(true);
    const after = await rejection<BridgeClosedError>(bridge.rpc(RpcProc.DumpStacks, BASE));
    expect(after.code).toBe('BridgeClosed');
    expect(after.cause).toBe(err.cause);
    const closedEvent = await bridge.done;
    expect(closedEvent.reason).toBe(err.reason);
    await new Promise<void>((r) => (fake.socket.destroyed ? r() : fake.socket.once('close', () => r())));
    return err;
  }

  it('an unknown response ID closes the bridge (BridgeProtocolError UnknownResponseId)', async () => {
    const err = await fatal((g) => g.write(frame(0x20100a01, 99n, '{"Result":0}')));
    expect(err.reason).toBe('protocol');
    expect(err.cause).toBeInstanceOf(BridgeProtocolError);
    expect((err.cause as BridgeProtocolError).violation).toBe('UnknownResponseId');
    expect((err.cause as Error).message).toBe(
      'UnknownResponseId: response 0x20100a01 with ID 99, which matches no request',
    );
  });

  it('an oversized response to a call in flight fails that call only: its payload is skipped, the bridge stays up', async () => {
    const { bridge, fake } = await pair(() => undefined);
    const p = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} });
    await fake.waitFor(1);
    // an 81,600-byte error reply (the real GCS echoes the request twice), written in pieces
    const big = frame(0x20100a01, 0n, `{"Result":-2147467259,"ErrorMessage":"${'x'.repeat(81_600 - 60)}"}`);
    expect(big.length).toBeGreaterThan(0x10000);
    fake.write(big.subarray(0, 20));
    fake.write(big.subarray(20, 40_000));
    fake.write(big.subarray(40_000));
    const err = await rejection<ResponseTooLargeError>(p);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err.code).toBe('ResponseTooLarge');
    expect(err.size).toBe(big.length);
    expect(err.limit).toBe(0x10000);
    expect(bridge.closed).toBe(false);
    expect(bridge.pendingCount).toBe(0);
    expect(bridge.bufferedBytes).toBe(0);
    fake.handler = () => 'default';
    expect(await bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} })).toEqual({ Result: 0 });
    await bridge.close();
  });

  it('an oversized frame that is not a response to a call in flight closes the bridge at once (no hang)', async () => {
    const err = await fatal((g) => g.write(frame(0x20100a01, 5n, '', 0x10001)));
    expect((err.cause as BridgeProtocolError).violation).toBe('OversizedFrame');
    const huge = await fatal((g) => g.write(frame(0x20100a01, 0n, '', 16 * 1024 * 1024 + 1)));
    expect((huge.cause as BridgeProtocolError).violation).toBe('OversizedFrame');
  });

  it('garbage: Size < 16, a non-JSON response, a non-object JSON, a bad Result or ActivityId', async () => {
    expect(
      ((await fatal((g) => g.write(Buffer.from('GARBAGE!GARBAGE!')))).cause as BridgeProtocolError).violation,
    ).toBe('OversizedFrame');
    const tiny = Buffer.alloc(16, 0);
    tiny.writeUInt32LE(3, 4);
    expect(((await fatal((g) => g.write(tiny))).cause as BridgeProtocolError).violation).toBe(
      'UndersizedFrame',
    );
    expect(
      ((await fatal((g) => g.write(frame(0x20100a01, 0n, '{not json')))).cause as BridgeProtocolError)
        .violation,
    ).toBe('InvalidPayload');
    expect(((await fatal((g) => g.write(frame(0x20100a01, 0n, '[1,2]')))).cause as Error).message).toBe(
      'InvalidPayload: response ID 0: payload is not a JSON object',
    );
    expect(
      ((await fatal((g) => g.write(frame(0x20100a01, 0n, '{"Result":"0"}')))).cause as Error).message,
    ).toContain('Result is not a 32-bit integer');
    expect(
      ((await fatal((g) => g.write(frame(0x20100a01, 0n, '{"ActivityId":""}')))).cause as Error).message,
    ).toContain('ActivityId is not a GUID');
  });

  it('a request from the guest or an unknown notification type closes the bridge', async () => {
    expect(((await fatal((g) => g.write(frame(0x10100101, 0n, '{}')))).cause as Error).message).toBe(
      'UnexpectedMessageType: unexpected message type 0x10100101 (ID 0)',
    );
    expect(
      ((await fatal((g) => g.write(frame(0x30100201, 0n, '{}')))).cause as BridgeProtocolError).violation,
    ).toBe('UnexpectedMessageType');
  });

  it('the guest disconnecting mid-RPC rejects every pending call with BridgeClosed (eof)', async () => {
    const err = await fatal((g) => g.close());
    expect(err.reason).toBe('eof');
    expect(err.message).toBe('ModifySettings: bridge closed (the guest closed the connection)');
  });

  it('a response with any low 28 bits (e.g. exactly 0x20000000) is matched by ID only', async () => {
    const { bridge, fake } = await pair((req, g) => {
      g.write(frame(0x20000000, req.id, '{"Result":0,"X":1}'));
      return undefined;
    });
    expect(await bridge.rpc(RpcProc.GetProperties, BASE)).toEqual({ Result: 0, X: 1 });
    fake.close();
    await bridge.done;
  });

  it('abort and timeout reject the call and leave the pending table; the late response is absorbed and the bridge stays up', async () => {
    const { bridge, fake } = await pair(() => undefined);
    const ac = new AbortController();
    const aborted = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} }, { signal: ac.signal });
    const timed = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} }, { timeout: 30 });
    await fake.waitFor(2);
    ac.abort('user');
    const a = await rejection<HcsError>(aborted);
    expect(a.code).toBe('Aborted');
    expect(a.cause).toBe('user');
    const t = await rejection<HcsError>(timed);
    expect(t.code).toBe('Timeout');
    expect(t.message).toBe('ModifySettings timed out after 30 ms');
    expect(bridge.pendingCount).toBe(0);
    expect(bridge.abandonedCount).toBe(2);
    for (const r of fake.received) fake.reply(r, {});
    fake.handler = () => 'default';
    expect(await bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} })).toEqual({ Result: 0 });
    expect(bridge.pendingCount).toBe(0);
    expect(bridge.abandonedCount).toBe(0);
    expect(bridge.closed).toBe(false);
    const bad = await rejection<HcsError>(bridge.rpc(RpcProc.DumpStacks, BASE, { timeout: -5 }));
    expect(bad.code).toBe('InvalidArgument');
    await bridge.close();
  });

  it('a default timeout applies to calls without one (overridable, null = none); 5000 timed-out calls leave nothing pending', async () => {
    const { host, guest } = await socketPair(join(dir, `p${++n}.sock`));
    const bridge = new Bridge(host, { defaultTimeout: 20 });
    const fake = new FakeGuest(guest, () => undefined);
    const t = await rejection<HcsError>(bridge.rpc(RpcProc.DumpStacks, BASE));
    expect(t.message).toBe('DumpStacks timed out after 20 ms');
    const none = bridge.rpc(RpcProc.DumpStacks, BASE, { timeout: null });
    await new Promise((r) => setTimeout(r, 60));
    expect(bridge.pendingCount).toBe(1);
    await fake.waitFor(2);
    fake.reply(fake.received[1]!, { GuestStacks: 'x' });
    expect(await none).toEqual({ Result: 0, GuestStacks: 'x' });
    const many = Array.from({ length: 5000 }, () =>
      bridge.rpc(RpcProc.DumpStacks, BASE, { timeout: 1 }).catch((e: HcsError) => e.code),
    );
    expect(new Set(await Promise.all(many))).toEqual(new Set(['Timeout']));
    expect(bridge.pendingCount).toBe(0);
    expect(bridge.abandonedCount).toBeLessThanOrEqual(ABANDONED_ID_CAP);
    await bridge.close();
  }, 60_000);

  it('a guest that stops reading: the send queue is bounded and further calls reject SendQueueFull, unsent', async () => {
    const { host, guest } = await socketPair(join(dir, `p${++n}.sock`));
    guest.pause(); // the guest reads nothing
    const bridge = new Bridge(host, { maxSendQueueBytes: 1024 * 1024, defaultTimeout: null });
    const body = { ...BASE, Request: { pad: 'y'.repeat(4096) } };
    const outcomes: unknown[] = [];
    const calls = Array.from({ length: 2000 }, (_, i) =>
      bridge.rpc(RpcProc.ModifySettings, body).then(
        () => {
          outcomes[i] = 'ok';
        },
        (e: unknown) => {
          outcomes[i] = e;
        },
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const rejected = outcomes.filter((o) => o instanceof SendQueueFullError) as SendQueueFullError[];
    const full = rejected[0];
    const sent = calls.length - rejected.length;
    expect(rejected.length).toBeGreaterThan(1000);
    expect(full).toBeInstanceOf(SendQueueFullError);
    expect(full?.code).toBe('SendQueueFull');
    expect(full?.limit).toBe(1024 * 1024);
    expect(bridge.queuedBytes).toBeLessThanOrEqual(1024 * 1024 + 8192);
    expect(bridge.pendingCount).toBe(sent);
    expect(bridge.closed).toBe(false);
    await bridge.close();
    guest.destroy();
  });

  it('delivers container notifications (type 0x30100101, ID 0) with ResultInfo decoded', async () => {
    const { bridge, fake } = await pair();
    const got: ContainerNotification[] = [];
    bridge.on('notification', (x) => got.push(x));
    fake.write(
      frame(
        0x30100101,
        0n,
        JSON.stringify({
          ContainerId: 'c1',
          ActivityId: '00000000-0000-0000-0000-000000000000',
          Type: 'GracefulExit',
          Operation: 'None',
          Result: 0,
          ResultInfo: JSON.stringify({ ExitCode: 3 }),
        }),
      ),
    );
    fake.write(
      frame(
        0x30100101,
        0n,
        JSON.stringify({ ContainerId: 'c2', Type: 'UnexpectedExit', Operation: 'None', Result: 0 }),
      ),
    );
    expect(await bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} })).toEqual({ Result: 0 });
    expect(got).toEqual([
      {
        ContainerId: 'c1',
        ActivityId: '00000000-0000-0000-0000-000000000000',
        Type: 'GracefulExit',
        Operation: 'None',
        Result: 0,
        ResultInfo: { ExitCode: 3 },
      },
      { ContainerId: 'c2', Type: 'UnexpectedExit', Operation: 'None', Result: 0 },
    ]);
    await bridge.close();
  });

  it('a local close rejects pending calls with reason local and ends the socket', async () => {
    const { bridge, fake } = await pair(() => undefined);
    const p = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} });
    await fake.waitFor(1);
    await bridge.close();
    const err = await rejection<BridgeClosedError>(p);
    expect(err.reason).toBe('local');
    expect(err.message).toBe('ModifySettings: bridge closed (closed locally)');
    await new Promise<void>((r) => fake.socket.once('close', () => r()));
  });

  it('frames split into 1-byte writes still decode', async () => {
    const { bridge, fake } = await pair((req, g) => {
      const bytes = frame(0x20100a01, req.id, JSON.stringify({ Result: 0, Split: true }));
      for (const b of bytes) g.write(Buffer.from([b]));
      return undefined;
    });
    expect(await bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} })).toEqual({
      Result: 0,
      Split: true,
    });
    fake.close();
    await bridge.done;
  });

  it('property: whatever bytes the guest writes, a pending call settles with a result or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, answerFirst) => {
        const { bridge, fake } = await pair(() => undefined);
        const p = bridge.rpc(RpcProc.ModifySettings, { ...BASE, Request: {} }).then(
          (v) => ({ ok: v as unknown }),
          (e: unknown) => ({ err: e }),
        );
        await fake.waitFor(1);
        if (answerFirst) fake.reply(fake.received[0]!, {});
        fake.write(Buffer.from(bytes));
        fake.socket.end();
        const r = await p;
        if ('err' in r) {
          expect(r.err).toBeInstanceOf(BridgeClosedError);
          const cause = (r.err as BridgeClosedError).cause;
          if (cause !== undefined) expect(cause).toBeInstanceOf(BridgeProtocolError);
        } else {
          expect(r.ok).toEqual({ Result: 0 });
        }
        const closed = await bridge.done;
        expect(closed).toBeInstanceOf(BridgeClosedError);
        expect(bridge.pendingCount).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
