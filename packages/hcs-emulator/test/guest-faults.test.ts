import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HcsdControlError } from '../src/control.js';
import { GuestHarness, HostListener, NULL_ID, sockPath, T } from './helpers/guest-host.js';
import { until } from './helpers/hcsd.js';

let h: GuestHarness;
beforeAll(async () => {
  h = await GuestHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

const DEV = 'VirtualMachine/Devices';
const scsi = (lun: number) => ({
  ResourcePath: `${DEV}/Scsi/${ScsiControllerGuids[0]}/Attachments/${lun}`,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: `C:\\d\\${lun}.vhdx` },
});
const mount = (path: string, lun: number) => ({
  ResourceType: 'MappedVirtualDisk',
  RequestType: 'Add',
  Settings: { MountPath: path, Lun: lun },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dialing', () => {
  it('retries with backoff (at once, then 100, 200, 400 ms …) until the host listens, and stops when the VM stops', async () => {
    const id = `late-${process.pid}`;
    const { lcowDocument } = await import('../src/testing.js');
    const t = await h.c.create(id, lcowDocument());
    const { runtimeId } = await h.hcsd.control.system(id);
    expect((await h.c.call('Start', t)).hresult).toBe(0);
    await sleep(350);
    const before = await h.hcsd.control.guest(id);
    expect(before.connected).toBe(false);
    expect(before.lastDialError).toBe('ENOENT');
    // dials at 0, 100 and 300 ms (fixed 100 ms polling made 4)
    expect(before.dialAttempts).toBeGreaterThanOrEqual(2);
    expect(before.dialAttempts).toBeLessThanOrEqual(3);
    const listener = await HostListener.listen(sockPath(h.dir.dir, runtimeId));
    const b = await listener.accept(1000);
    listener.close();
    expect((await b.negotiate()).json?.Result).toBe(0);
    expect((await h.c.call('Terminate', t)).hresult).toBe(0);
    await b.closed;
    const attempts = (await h.hcsd.control.guest(id)).dialAttempts;
    await sleep(250);
    const after = await h.hcsd.control.guest(id);
    expect(after).toMatchObject({ active: false, connected: false, dialAttempts: attempts });
  });

  it('neverDial: no connection while armed; dials once disarmed', async () => {
    const v = await h.vm({ before: (id) => h.hcsd.control.guestFault(id, { kind: 'neverDial' }) });
    await expect(v.listener.accept(400)).rejects.toThrow('no guest connection in time');
    expect((await h.hcsd.control.guest(v.id)).dialAttempts).toBe(0);
    await h.hcsd.control.guestFault(v.id, { kind: 'neverDial', enabled: false });
    const b = await v.listener.accept(1000);
    v.listener.close();
    expect((await b.negotiate()).json?.Result).toBe(0);
    b.close();
  });

  it('re-dials after a drop; the new bridge starts un-negotiated; the guest table survives', async () => {
    const v = await h.vm();
    const b1 = await v.listener.accept();
    await b1.negotiate();
    await h.hostModify(v.t, scsi(1));
    expect((await b1.modify(mount('/m/keep', 1))).json?.Result).toBe(0);
    await h.hcsd.control.guestFault(v.id, { kind: 'drop' });
    await b1.closed;
    const b2 = await v.listener.accept(1000);
    v.listener.close();
    const early = await b2.modify(mount('/m/other', 1));
    expect(early.json?.Result).toBe(0x80004001 | 0);
    expect(early.id).toBe(0n);
    await b2.negotiate();
    const g = await h.hcsd.control.guest(v.id);
    expect(g).toMatchObject({ connections: 2, connected: true, negotiated: true });
    expect(g.table.mappedVirtualDisks.map((d) => d.MountPath)).toEqual(['/m/keep']);
    expect(g.requests.map((r) => [r.procedure, r.connection, r.result])).toEqual([
      ['NegotiateProtocol', 1, 0],
      ['ModifySettings', 1, 0],
      ['ModifySettings', 2, 0x80004001],
      ['NegotiateProtocol', 2, 0],
    ]);
    b2.close();
  });

  it('drop when not connected → HCS_E_INVALID_STATE; a VM without GuestConnection → ERROR_NOT_FOUND', async () => {
    const v = await h.vm({ before: (id) => h.hcsd.control.guestFault(id, { kind: 'neverDial' }) });
    const e = await h.hcsd.control.guestFault(v.id, { kind: 'drop' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HcsdControlError);
    expect((e as HcsdControlError).hresult).toBe(0x80370105);
    const { lcowDocument } = await import('../src/testing.js');
    const id = `noguest-${process.pid}`;
    await h.c.create(id, lcowDocument({ guestConnection: false }));
    const e2 = await h.hcsd.control.guest(id).catch((x: unknown) => x);
    expect((e2 as HcsdControlError).hresult).toBe(0x80070490);
    const e3 = await h.hcsd.control.guestFault(v.id, { kind: 'bogus' } as never).catch((x: unknown) => x);
    expect((e3 as HcsdControlError).hresult).toBe(0x80070057);
  });
});

describe('replies', () => {
  it('concurrent handling: a delayed reply comes after a later fast one', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'delay', ms: 150, count: 1, procedure: 'DumpStacks' });
    const slow = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    const fast = b.send(T.ModifySettings, {
      ContainerId: NULL_ID,
      ActivityId: NULL_ID,
      Request: { ResourceType: 'PodCgroupMemoryLimit', RequestType: 'Update' },
    });
    await b.next((f) => f.id === slow);
    const order = b.frames.filter((f) => f.id === slow || f.id === fast).map((f) => f.id);
    expect(order).toEqual([fast, slow]);
    b.close();
  });

  it('reorder: the next N replies go out in reverse order', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'reorder', count: 3 });
    const ids = [0, 1, 2].map(() => b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID }));
    await b.next((f) => f.id === ids[0]);
    expect(b.frames.slice(-3).map((f) => f.id)).toEqual([...ids].reverse());
    b.close();
  });

  it('fail (filtered by resource type), silent, dropOnRequest', async () => {
    const { b, t, id } = await h.connected();
    await h.hostModify(t, scsi(3));
    await h.hcsd.control.guestFault(id, {
      kind: 'fail',
      hresult: 0x80070015,
      message: 'device not ready',
      resourceType: 'MappedVirtualDisk',
    });
    const dumped = await b.call(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect(dumped.json?.Result).toBe(0);
    const failed = await b.modify(mount('/m/f', 3));
    expect(failed.json).toEqual({
      Result: 0x80070015 | 0,
      ErrorMessage: 'device not ready',
      ActivityId: NULL_ID,
      ErrorRecords: [
        {
          Result: 0x80070015 | 0,
          Message: 'device not ready',
          ModuleName: 'gcs',
          FileName: 'emulated-gcs',
          Line: 4294967295,
        },
      ],
    });
    expect((await h.hcsd.control.guest(id)).table.mappedVirtualDisks).toEqual([]);
    await h.hcsd.control.guestFault(id, { kind: 'silent', procedure: 'DumpStacks' });
    const quiet = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect((await b.modify(mount('/m/f', 3))).json?.Result).toBe(0);
    await sleep(50);
    expect(b.frames.some((f) => f.id === quiet)).toBe(false);
    await h.hcsd.control.guestFault(id, { kind: 'dropOnRequest' });
    const lost = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    await b.closed;
    expect(b.frames.some((f) => f.id === lost)).toBe(false);
  });

  it('garbage frames: json (same ID), size, unknownId, notification; now or as a reply', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'garbage', variant: 'json' });
    const x = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    const g = await b.next((f) => f.id === x);
    expect(g.type).toBe(0x20100c01);
    expect(g.json).toBeUndefined();
    expect(g.payload.toString()).toBe('{"Result":0,garbage');
    await h.hcsd.control.guestFault(id, { kind: 'garbage', variant: 'unknownId', when: 'now' });
    const u = await b.next((f) => f.id === 0x7fffffffffffffffn);
    expect(u.json).toEqual({ Result: 0 });
    await h.hcsd.control.guestFault(id, { kind: 'garbage', variant: 'notification', when: 'now' });
    const n = await b.next((f) => f.type === 0x30200101);
    expect(n.json).toEqual({ ContainerId: NULL_ID });
    await h.hcsd.control.guestFault(id, { kind: 'garbage', variant: 'size', when: 'now' });
    await until(() => b.badSize !== undefined);
    expect(b.badSize).toBe(15);
    b.close();
  });

  it('oversized: the reply padded past 0x10000, and a frame sent at once', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'oversized', procedure: 'DumpStacks' });
    const x = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    const f = await b.next((fr) => fr.id === x);
    expect(f.size).toBe(0x10001);
    expect(f.json?.Result).toBe(0);
    await h.hcsd.control.guestFault(id, { kind: 'oversized', when: 'now', size: 0x20000 });
    const g = await b.next((fr) => fr.size === 0x20000);
    expect(g.type).toBe(0x20100a01);
    expect(g.json).toEqual({ Result: 0 });
    const bad = await h.hcsd.control
      .guestFault(id, { kind: 'oversized', size: 100 })
      .catch((e: unknown) => e);
    expect((bad as HcsdControlError).hresult).toBe(0x80070057);
    b.close();
  });

  it('notify sends a container notification (0x30100101, ID 0); faults show in inspection and clear', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.guestFault(id, { kind: 'notify', containerId: 'c9', type: 'ForcedExit' });
    const n = await b.next((f) => f.type === 0x30100101);
    expect(n.id).toBe(0n);
    expect(n.json).toEqual({
      ContainerId: 'c9',
      ActivityId: NULL_ID,
      Type: 'ForcedExit',
      Operation: 'None',
      Result: 0,
    });
    await h.hcsd.control.guestFault(id, { kind: 'delay', ms: 5 });
    await h.hcsd.control.guestFault(id, { kind: 'silent', count: 2, procedure: 'Create' });
    expect((await h.hcsd.control.guest(id)).faults).toEqual({
      neverDial: false,
      gcsPanics: false,
      rules: [{ action: 'silent', remaining: 2, procedure: 'Create', resourceType: null }],
      delays: [{ ms: 5, remaining: -1, procedure: null }],
      reorder: 0,
    });
    await h.hcsd.control.clearFaults();
    expect((await h.hcsd.control.guest(id)).faults).toEqual({
      neverDial: false,
      gcsPanics: false,
      rules: [],
      delays: [],
      reorder: 0,
    });
    b.close();
  });

  it('a host frame with Size < 16 makes the guest drop the bridge and re-dial', async () => {
    const v = await h.vm();
    const b = await v.listener.accept();
    await b.negotiate();
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(T.DumpStacks, 0);
    bad.writeUInt32LE(8, 4);
    b.socket.write(bad);
    await b.closed;
    const b2 = await v.listener.accept(1000);
    v.listener.close();
    expect((await b2.negotiate()).json?.Result).toBe(0);
    b2.close();
  });

  it('crashVm closes the bridge and the agent stops', async () => {
    const { b, id } = await h.connected();
    await h.hcsd.control.crashVm(id);
    await b.closed;
    expect((await h.hcsd.control.guest(id)).active).toBe(false);
  });
});

describe('pause', () => {
  it('a paused VM’s guest answers nothing until Resume, then answers in order', async () => {
    const { b, t, id } = await h.connected();
    expect((await h.c.call('Pause', t)).hresult).toBe(0);
    const a = b.send(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    const c = b.send(T.ModifySettings, {
      ContainerId: NULL_ID,
      ActivityId: NULL_ID,
      Request: { ResourceType: 'PodCgroupMemoryLimit', RequestType: 'Update' },
    });
    await sleep(100);
    expect(b.frames.filter((f) => f.id === a || f.id === c)).toEqual([]);
    expect((await h.hcsd.control.guest(id)).table.cgroupMemoryUpdates).toBe(0);
    expect((await h.c.call('Resume', t)).hresult).toBe(0);
    await b.next((f) => f.id === c);
    expect(b.frames.filter((f) => f.id === a || f.id === c).map((f) => f.id)).toEqual([a, c]);
    expect((await h.hcsd.control.guest(id)).table.cgroupMemoryUpdates).toBe(1);
    b.close();
  });
});
