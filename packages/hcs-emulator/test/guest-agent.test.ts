import { gcsOversizedRequestMessage } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { lcowDocument } from '../src/testing.js';
import {
  type Bridge,
  frame,
  HostListener,
  hvsockTempDir,
  NULL_ID,
  sockPath,
  T,
} from './helpers/guest-host.js';
import { SCSI0, SCSI1, TestClient } from './helpers/hcsd.js';

const tmp = hvsockTempDir();
let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd({ env: { UVMKIT_HVSOCK_DIR: tmp.dir } });
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
  tmp.dispose();
});

const E_NOTIMPL = 0x80004001 | 0;
const E_FAIL = 0x80004005 | 0;
const NOT_FOUND = 0x80070490 | 0;

interface Vm {
  id: string;
  t: bigint;
  runtimeId: string;
  listener: HostListener;
}

/** Create an LCOW VM, listen at its GCS path, start it. */
async function vm(): Promise<Vm> {
  const id = `guest-${++n}`;
  const t = await c.create(id, lcowDocument());
  const { runtimeId } = await hcsd.control.system(id);
  const listener = await HostListener.listen(sockPath(tmp.dir, runtimeId));
  const r = await c.call('Start', t);
  expect(r.hresult).toBe(0);
  return { id, t, runtimeId, listener };
}

async function connected(): Promise<Vm & { b: Bridge }> {
  const v = await vm();
  const b = await v.listener.accept();
  v.listener.close();
  return { ...v, b };
}

const scsiAdd = (controller: string, lun: number) => ({
  ResourcePath: `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: `C:\\disks\\d${lun}.vhdx` },
});

describe('frame limit (GCS_MAX_FRAME of @uvmkit/hcs-schema, shared with the C agent)', () => {
  it('skips an oversized request (answering E_INVALIDARG as the C agent), ignores a non-request frame, and stays in sync', async () => {
    // The same frames and the same assertions as linux-guest's protocol.test.ts for the C agent.
    const { b } = await connected();
    expect((await b.negotiate()).json?.Result).toBe(0);
    const big = Buffer.alloc(70_000, 0x20);
    Buffer.from('{"ContainerId":""}').copy(big);
    b.socket.write(frame(T.ModifySettings, 30n, big));
    b.socket.write(frame(0x20100a01, 31n, '{"Result":0}'));
    b.socket.write(
      frame(T.DumpStacks, 32n, `${JSON.stringify({ ContainerId: NULL_ID, ActivityId: NULL_ID })}\n`),
    );
    const r30 = await b.next((f) => f.id === 30n);
    expect(r30.type).toBe(0x20100a01);
    expect(r30.json?.Result).toBe(-2147024809);
    expect(r30.json?.ErrorMessage).toBe("request of 70016 bytes exceeds the agent's 65536-byte frame limit");
    expect(r30.json?.ErrorMessage).toBe(gcsOversizedRequestMessage(16 + 70_000));
    const r32 = await b.next((f) => f.id === 32n);
    expect(r32.json?.Result).toBe(0);
    expect(b.frames.some((f) => f.id === 31n)).toBe(false);
    b.close();
  });
});

describe('negotiation', () => {
  it('dials after start and answers NegotiateProtocol like the Linux GCS (exact bytes)', async () => {
    const { b, id } = await connected();
    const f = await b.negotiate();
    expect(f.type).toBe(0x20100b01);
    expect(f.id).toBe(0n);
    expect(f.payload.toString()).toBe(
      '{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000","Version":4,"Capabilities":{"SupportedSchemaVersions":[{"Major":2,"Minor":1}],"RuntimeOsType":"Linux","GuestDefinedCapabilities":{"NamespaceAddRequestSupported":true,"SignalProcessSupported":true,"DumpStacksSupported":true,"DeleteContainerStateSupported":true}}}',
    );
    const g = await hcsd.control.guest(id);
    expect(g).toMatchObject({
      connected: true,
      negotiated: true,
      protocolVersion: 4,
      os: 'Linux',
      connections: 1,
    });
    b.close();
  });

  it('before negotiation only NegotiateProtocol is served; a second one is E_NOTIMPL', async () => {
    const { b } = await connected();
    const early = await b.modify({ ResourceType: 'MappedVirtualDisk', RequestType: 'Add', Settings: {} });
    expect(early.type).toBe(0x20100a01);
    expect(early.json).toMatchObject({ Result: E_NOTIMPL });
    expect((await b.negotiate()).json?.Result).toBe(0);
    const again = await b.negotiate();
    expect(again.json?.Result).toBe(E_NOTIMPL);
    expect(again.json?.ErrorRecords).toEqual([
      expect.objectContaining({ Result: E_NOTIMPL, ModuleName: 'gcs', Line: 4294967295 }),
    ]);
    b.close();
  });

  it('version rules: range without 4 → 0xC037010C; 1..9 → 4', async () => {
    const { b } = await connected();
    expect((await b.negotiate(5, 9)).json?.Result).toBe(0xc037010c | 0);
    expect((await b.negotiate(1, 3)).json?.Result).toBe(0xc037010c | 0);
    const ok = await b.negotiate(1, 9);
    expect(ok.json).toMatchObject({ Result: 0, Version: 4 });
    b.close();
  });
});

describe('MappedVirtualDisk', () => {
  it('mounts a disk the host attached, and removes it', async () => {
    const { b, t, id } = await connected();
    await b.negotiate();
    expect((await c.modify(t, scsiAdd(SCSI0, 3))).hresult).toBe(0);
    const add = await b.modify({
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Add',
      Settings: { MountPath: '/run/mounts/m1', Lun: 3, ReadOnly: true },
    });
    expect(add.json).toEqual({ Result: 0, ActivityId: NULL_ID });
    const g = await hcsd.control.guest(id);
    expect(g.table.mappedVirtualDisks).toEqual([
      {
        MountPath: '/run/mounts/m1',
        Controller: 0,
        ControllerGuid: SCSI0,
        Lun: 3,
        Partition: 0,
        ReadOnly: true,
        Encrypted: false,
        Options: [],
        BlockDev: false,
        EnsureFilesystem: false,
        Filesystem: '',
        Scratch: false,
        hostAttached: true,
      },
    ]);
    const rm = await b.modify({
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Remove',
      Settings: { MountPath: '/run/mounts/m1', Lun: 3 },
    });
    expect(rm.json?.Result).toBe(0);
    expect((await hcsd.control.guest(id)).table.mappedVirtualDisks).toEqual([]);
    b.close();
  });

  it('rejects a disk the host did not attach with ERROR_NOT_FOUND', async () => {
    const { b, id } = await connected();
    await b.negotiate();
    const r = await b.modify({
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Add',
      Settings: { MountPath: '/run/mounts/x', Controller: 1, Lun: 5 },
    });
    expect(r.json).toMatchObject({ Result: NOT_FOUND });
    expect(String(r.json?.ErrorMessage)).toContain(`controller 1 (${SCSI1}) LUN 5`);
    expect((await hcsd.control.guest(id)).table.mappedVirtualDisks).toEqual([]);
    b.close();
  });

  it('unknown ResourceType and bad RequestType → E_FAIL; unknown message type → E_NOTIMPL', async () => {
    const { b } = await connected();
    await b.negotiate();
    expect((await b.modify({ ResourceType: 'Nope', RequestType: 'Add' })).json?.Result).toBe(E_FAIL);
    expect(
      (await b.modify({ ResourceType: 'MappedVirtualDisk', RequestType: 'Update', Settings: {} })).json
        ?.Result,
    ).toBe(E_FAIL);
    const u = await b.call(T.UpdateContainer, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect(u.type).toBe(0x20100e01);
    expect(u.json?.Result).toBe(E_NOTIMPL);
    b.close();
  });
});

describe('envelope details', () => {
  it('ActivityId: a GUID is echoed, anything else is omitted; version byte and frame kind matter', async () => {
    const { b } = await connected();
    await b.negotiate();
    const act = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const echoed = await b.call(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: act });
    expect(echoed.json?.ActivityId).toBe(act);
    const omitted = await b.call(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: 'not-a-guid' });
    expect(omitted.json).not.toHaveProperty('ActivityId');
    expect(omitted.json?.Result).toBe(0);
    // DumpStacks with version byte 2 is another message type: E_NOTIMPL, response type copies it
    const v2 = await b.call(0x10100c02, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect(v2.type).toBe(0x20100c02);
    expect(v2.json?.Result).toBe(E_NOTIMPL);
    // A response-type frame from the host is ignored (no reply); the next request is answered
    const ignored = b.send(0x20100c01, { Result: 0 });
    const after = await b.call(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect(after.json?.Result).toBe(0);
    expect(b.frames.filter((f) => f.id === ignored)).toEqual([]);
    // Negotiate with a version that is not a uint32 → invalid JSON
    const { b: b2 } = await connected();
    const bad = await b2.call(T.NegotiateProtocol, {
      ContainerId: '',
      MinimumVersion: '4',
      MaximumVersion: 4,
    });
    expect(bad.json?.Result).toBe(0xc037010d | 0);
    expect(bad.json).not.toHaveProperty('ActivityId');
    b.close();
    b2.close();
  });
});
