/**
 * The agent against a host played by the test, byte for byte (gcs-protocol.md §2, §4.4, §6.4,
 * §10): the host-built agent (ASan/UBSan) dials the GCS service through the fake relay; the
 * test's own Unix server at the GCS HvSocket path accepts every connection, so re-dials after a
 * loss are seen too. No hcsd: the VM id is made up.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame } from '@uvmkit/guestmanager';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildHost, FrameReader, startAgent, until } from './helpers/agent.js';
import { type FakeRelay, startFakeRelay } from './helpers/fake-relay.js';

const GCS = '40000000-facb-11e6-bd58-64006a7986d3';
const ZERO = '00000000-0000-0000-0000-000000000000';
const NEGOTIATE = 0x10100b01;
const dir = mkdtempSync('/tmp/lgp-');
const vmId = randomUUID();
const gcsPath = hvsocketPath({ vmId, serviceId: GCS }, dir);

let relay: FakeRelay;
let agent: Agent;
let server: Server | undefined;
const conns: { socket: Socket; reader: FrameReader }[] = [];

function listenGcs(): Promise<void> {
  rmSync(gcsPath, { force: true });
  const s = createServer((socket) => {
    const reader = new FrameReader();
    socket.on('data', (b: Buffer) => reader.push(b));
    socket.on('end', () => reader.end());
    socket.on('close', () => reader.end());
    socket.on('error', () => {});
    conns.push({ socket, reader });
  });
  server = s;
  return new Promise((r) => s.listen(gcsPath, () => r()));
}

async function nextConnection(): Promise<{ socket: Socket; reader: FrameReader }> {
  const n = conns.length;
  await until(() => conns.length > n, 20_000, 'the agent to dial');
  return conns[n] as { socket: Socket; reader: FrameReader };
}

function negotiateFrame(id = 0n): Buffer {
  return encodeFrame(
    NEGOTIATE,
    id,
    `${JSON.stringify({ ContainerId: '', ActivityId: ZERO, MinimumVersion: 4, MaximumVersion: 4 })}\n`,
  );
}

function request(type: number, id: bigint, body: object | string): Buffer {
  return encodeFrame(type, id, typeof body === 'string' ? body : `${JSON.stringify(body)}\n`);
}

beforeAll(async () => {
  buildHost();
  relay = await startFakeRelay({ path: join(dir, 'relay.sock'), hvsockDir: dir, vmId });
  await listenGcs();
  agent = startAgent([
    '--relay',
    relay.path,
    '--no-entropy',
    '--no-log-stream',
    '--loglevel',
    'debug',
    '--max-backoff',
    '400',
  ]);
  // The first connection is taken by the first test.
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  for (const c of conns) c.socket.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('uvmkit-gcs on the wire', () => {
  let c: { socket: Socket; reader: FrameReader };

  it('answers the Negotiate of §2.1 with exactly the Linux GCS reply (342 bytes), after refusing an earlier request', async () => {
    c = await nextConnection();
    c.socket.write(request(0x10100c01, 5n, { ContainerId: ZERO, ActivityId: ZERO }));
    const early = await c.reader.reply(5n);
    expect(early.type >>> 0).toBe(0x20100c01);
    expect(early.body.Result).toBe(-2147467263);
    c.socket.write(negotiateFrame(0n));
    const r = await c.reader.reply(0n);
    const payload =
      '{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000","Version":4,"Capabilities":{"SupportedSchemaVersions":[{"Major":2,"Minor":1}],"RuntimeOsType":"Linux","GuestDefinedCapabilities":{"NamespaceAddRequestSupported":true,"SignalProcessSupported":true,"DumpStacksSupported":true,"DeleteContainerStateSupported":true}}}';
    expect(r.payload).toBe(payload);
    expect(r.size).toBe(342);
    expect(r.type >>> 0).toBe(0x20100b01);
    const again = request(NEGOTIATE, 1n, {
      ContainerId: '',
      ActivityId: ZERO,
      MinimumVersion: 4,
      MaximumVersion: 4,
    });
    c.socket.write(again);
    expect((await c.reader.reply(1n)).body.Result).toBe(-2147467263);
  });

  it('answers bad requests with the Linux GCS HRESULTs and keeps the bridge', async () => {
    const w = (id: bigint, type: number, body: object | string) => c.socket.write(request(type, id, body));
    w(10n, 0x10100a01, '{"ContainerId":"x",broken');
    w(11n, 0x10100a01, { ContainerId: ZERO, ActivityId: ZERO, Request: '{"ResourceType":"Network"}' });
    w(12n, 0x10100a01, {
      ContainerId: ZERO,
      ActivityId: '',
      Request: { ResourceType: 'Bogus', RequestType: 'Add' },
    });
    w(13n, 0x10100201, { ContainerId: 'no-such', ActivityId: 'not-a-guid' });
    w(14n, 0x10100401, { ContainerId: 'no-such', ActivityId: ZERO });
    w(15n, 0x10100d01, { ContainerId: 'no-such', ActivityId: ZERO });
    w(16n, 0x10100e01, { ContainerId: 'no-such', ActivityId: ZERO });
    w(17n, 0x10200101, { ContainerId: ZERO, ActivityId: ZERO });
    w(18n, 0x10100a01, {
      ContainerId: ZERO,
      ActivityId: ZERO,
      Request: { ResourceType: 'HvSocket', RequestType: 'Update' },
    });
    w(19n, 0x10100a01, {
      ContainerId: ZERO,
      ActivityId: ZERO,
      Request: {
        ResourceType: 'MappedDirectory',
        RequestType: 'Remove',
        Settings: { MountPath: join(dir, 'absent') },
      },
    });
    w(20n, 0x10100601, { ContainerId: ZERO, ActivityId: ZERO, ProcessId: 999999, TimeoutInMs: 0xffffffff });
    w(21n, 0x10100701, { ContainerId: 'c1', ActivityId: ZERO, ProcessId: 1 });
    w(22n, 0x10100901, { ContainerId: ZERO, ActivityId: ZERO, Query: '{"PropertyTypes":["ProcessList"]}' });
    const result = async (id: bigint) => ((await c.reader.reply(id)).body.Result as number) >>> 0;
    expect(await result(10n)).toBe(0xc037010d);
    expect(await result(11n)).toBe(0xc037010d);
    const r12 = await c.reader.reply(12n);
    expect(r12.body).toEqual({
      Result: -2147467259,
      ErrorMessage: 'invalid ResourceType Bogus',
      ErrorRecords: [
        {
          Result: -2147467259,
          Message: 'invalid ResourceType Bogus',
          ModuleName: 'gcs',
          FileName: 'modify.c',
          Line: expect.any(Number),
          FunctionName: 'rpc_modify_settings',
        },
      ],
    });
    expect((await c.reader.reply(13n)).body).toEqual({ Result: 0, ActivityId: 'not-a-guid' });
    expect(await result(14n)).toBe(0xc037010e);
    expect(await result(15n)).toBe(0xc037010e);
    expect(await result(16n)).toBe(0x80004001);
    expect(await result(17n)).toBe(0x80004001);
    expect(await result(18n)).toBe(0x80004005);
    expect((await c.reader.reply(19n)).body).toEqual({ Result: 0, ActivityId: ZERO });
    expect(await result(20n)).toBe(0x80070490);
    expect(await result(21n)).toBe(0xc037010e);
    expect(await result(22n)).toBe(0x80004005);
    for (const f of c.reader.frames) expect(f.size).toBeLessThanOrEqual(0x10000);
  });

  it('answers the container-level and policy requests as the Linux GCS (no containers exist yet)', async () => {
    const w = (id: bigint, type: number, body: object) => c.socket.write(request(type, id, body));
    const config = (minor: number) =>
      JSON.stringify({
        SchemaVersion: { Major: 2, Minor: minor },
        OciBundlePath: '/run/gcs/c/c1',
        OciSpecification: {},
      });
    const modify = (ResourceType: string, RequestType: string, Settings?: object) => ({
      ContainerId: ZERO,
      ActivityId: ZERO,
      Request: { ResourceType, RequestType, Settings },
    });
    w(40n, 0x10100101, { ContainerId: 'c1', ActivityId: ZERO, ContainerConfig: config(0) });
    w(41n, 0x10100101, { ContainerId: 'c1', ActivityId: ZERO, ContainerConfig: config(1) });
    w(42n, 0x10100f01, { ContainerId: 'c1', ActivityId: ZERO });
    w(43n, 0x10100a01, {
      ContainerId: 'c1',
      ActivityId: ZERO,
      Request: { ResourceType: 'ContainerConstraints', RequestType: 'Update', Settings: {} },
    });
    w(44n, 0x10100a01, modify('SecurityPolicy', 'Add', { EnforcerType: 'rego', EncodedSecurityPolicy: '' }));
    await c.reader.reply(44n);
    w(45n, 0x10100a01, modify('SecurityPolicy', 'Add', { EnforcerType: 'rego', EncodedSecurityPolicy: '' }));
    w(46n, 0x10100a01, modify('SecurityPolicyFragment', 'Add', { Fragment: 'junk' }));
    w(47n, 0x10100a01, modify('VPCIDevice', 'Add', { VMBusGUID: randomUUID() }));
    w(48n, 0x10100a01, modify('MappedVirtualDisk', 'Update', { MountPath: '/x' }));
    w(49n, 0x10100701, { ContainerId: ZERO, ActivityId: ZERO, ProcessId: 999999, Options: { Signal: 15 } });
    w(50n, 0x10100a01, modify('MappedVirtualDisk', 'Add', { MountPath: '/x', Lun: 'one' }));
    const result = async (id: bigint) => ((await c.reader.reply(id)).body.Result as number) >>> 0;
    expect(await result(40n)).toBe(0xc037010d);
    expect(await result(41n)).toBe(0x80004005);
    expect(await result(42n)).toBe(0x80004001);
    expect(await result(43n)).toBe(0xc037010e);
    expect(await result(44n)).toBe(0);
    expect(await result(45n)).toBe(0x80004005);
    expect(await result(46n)).toBe(0x80004005);
    expect(await result(47n)).toBe(0x80004005);
    expect((await c.reader.reply(48n)).body.ErrorMessage).toBe(
      'invalid RequestType Update for ResourceType MappedVirtualDisk',
    );
    expect(await result(49n)).toBe(0x80070490);
    expect((await c.reader.reply(50n)).body.ErrorMessage).toBe(
      'json: cannot unmarshal string into Go struct field Lun of type uint8',
    );
  });

  it('skips an oversized request (answering E_INVALIDARG), ignores a non-request frame, and stays in sync', async () => {
    const big = Buffer.alloc(70_000, 0x20);
    Buffer.from('{"ContainerId":""}').copy(big);
    c.socket.write(encodeFrame(0x10100a01, 30n, big));
    c.socket.write(encodeFrame(0x20100a01, 31n, '{"Result":0}'));
    c.socket.write(request(0x10100c01, 32n, { ContainerId: ZERO, ActivityId: ZERO }));
    const r30 = await c.reader.reply(30n);
    expect(r30.body.Result).toBe(-2147024809);
    expect(r30.body.ErrorMessage).toBe("request of 70016 bytes exceeds the agent's 65536-byte frame limit");
    const r32 = await c.reader.reply(32n);
    expect(r32.body.Result).toBe(0);
    expect(r32.body.GuestStacks).toMatch(/^uvmkit-gcs 0\.1\.0 pid \d+\n/);
    expect(c.reader.frames.some((f) => f.id === 31n)).toBe(false);
  });

  it('a frame Size below 16 drops the bridge; the agent re-dials and a request pipelined with Negotiate is refused', async () => {
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(0x10100a01, 0);
    bad.writeUInt32LE(15, 4);
    c.socket.write(bad);
    await until(() => c.reader.ended, 20_000, 'the agent to drop the bridge');
    const d = await nextConnection();
    d.socket.write(
      Buffer.concat([negotiateFrame(0n), request(0x10100c01, 1n, { ContainerId: ZERO, ActivityId: ZERO })]),
    );
    expect((await d.reader.reply(0n)).body.Version).toBe(4);
    expect((await d.reader.reply(1n)).body.Result).toBe(-2147467263);
    d.socket.write(request(0x10100c01, 2n, { ContainerId: ZERO, ActivityId: ZERO }));
    expect((await d.reader.reply(2n)).body.Result).toBe(0);
    c = d;
  });

  it('re-dials with backoff while nobody listens, and connects once the host listens again', async () => {
    const closed = new Promise<void>((r) => (server as Server).close(() => r()));
    for (const x of conns) x.socket.destroy();
    await closed;
    const before = relay.dials.length;
    await until(() => relay.dials.slice(before).filter((x) => !x.ok).length >= 3, 30_000, 'failed re-dials');
    await listenGcs();
    const e = await nextConnection();
    e.socket.write(negotiateFrame(0n));
    expect((await e.reader.reply(0n)).body.Version).toBe(4);
    const attempts = relay.dials.slice(before);
    expect(attempts.every((x) => x.guid === GCS)).toBe(true);
    expect(attempts.at(-1)?.ok).toBe(true);
    expect(
      agent
        .logs()
        .some((l) => /bridge: dial failed: relay refused 40000000-facb-11e6-bd58-64006a7986d3/.test(l.msg)),
    ).toBe(true);
  });

  it('the agent reported no AddressSanitizer or UndefinedBehaviorSanitizer error and is still running', () => {
    expect(agent.stderr()).not.toMatch(/AddressSanitizer|LeakSanitizer|runtime error:/);
    expect(() => process.kill(agent.pid, 0)).not.toThrow();
  });
});
