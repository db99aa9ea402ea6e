/**
 * The engine seam, through the sim engine's realization faults: per-system queues (a slow
 * realization blocks neither other systems nor other clients; calls on one system keep their
 * order), two-phase Modify (a failed realization leaves the table untouched), Cancel and
 * Terminate aborting the engine call in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR } from '../src/hcsd/errors.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, resultError, SCSI0, TestClient, until, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd({ engine: 'sim' });
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
});

const disk = (lun: number) => ({
  ResourcePath: `VirtualMachine/Devices/Scsi/${SCSI0}/Attachments/${lun}`,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: `/disks/${lun}.vhdx` },
});

async function vm(): Promise<{ id: string; t: bigint }> {
  const id = `eng-${++n}`;
  return { id, t: await c.running(id, vmConfig()) };
}

async function attachments(id: string): Promise<Record<string, unknown>> {
  return (await hcsd.control.system(id)).devices.scsi[SCSI0] ?? {};
}

describe('per-system queues', () => {
  it('a slow realization on one VM blocks neither another VM nor another client', async () => {
    const slow = await vm();
    const fast = await vm();
    await hcsd.control.engineFault(slow.id, { kind: 'delay', call: 'modify', ms: 600 });
    const began = Date.now();
    const pending = c.modify(slow.t, disk(1));
    // Same client, other VM: answered long before the slow one.
    expect((await c.modify(fast.t, disk(1))).hresult).toBe(0);
    expect(Date.now() - began).toBeLessThan(400);
    // Another client, the slow VM's properties are queued behind its Modify; Enumerate is not.
    const other = await TestClient.connect(hcsd.socketPath, 'bystander');
    const listed = await other.call('Enumerate', 0n, []);
    expect(listed.hresult).toBe(0);
    expect(Date.now() - began).toBeLessThan(400);
    await other.close();
    // Not committed while the engine is still realizing it.
    expect(await attachments(slow.id)).toEqual({});
    expect((await pending).hresult).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(550);
    expect(Object.keys(await attachments(slow.id))).toEqual(['1']);
  });

  it('calls on one VM keep their order behind a slow one', async () => {
    const { id, t } = await vm();
    await hcsd.control.engineFault(id, { kind: 'delay', call: 'modify', ms: 300 });
    const order: string[] = [];
    const first = c.modify(t, disk(2)).then((r) => order.push(`add:${r.hresult}`));
    const pause = c.call('Pause', t).then((r) => order.push(`pause:${r.hresult}`));
    const props = c.props(t).then((p) => order.push(`props:${p.State}`));
    await Promise.all([first, pause, props]);
    expect(order).toEqual(['add:0', 'pause:0', 'props:Paused']);
    expect(Object.keys(await attachments(id))).toEqual(['2']);
  });
});

describe('two-phase Modify', () => {
  it('a failed realization answers its HRESULT and leaves the table and the config untouched', async () => {
    const { id, t } = await vm();
    const before = await hcsd.control.system(id);
    await hcsd.control.engineFault(id, {
      kind: 'fail',
      call: 'modify',
      hresult: HR.ERROR_NOT_SUPPORTED,
      message: 'device_add: Bus "scsi0.0" is full',
    });
    const r = await c.modify(t, disk(3));
    expect(r.hresult).toBe(HR.ERROR_NOT_SUPPORTED);
    expect(resultError(r)).toEqual({
      Error: i32(HR.ERROR_NOT_SUPPORTED),
      ErrorMessage: 'sim engine: device_add: Bus "scsi0.0" is full',
    });
    const after = await hcsd.control.system(id);
    expect(after.devices).toEqual(before.devices);
    expect(after.config).toEqual(before.config);
    // The request was still received (logged) and the next one realizes normally.
    expect(after.modifyCount).toBe(before.modifyCount + 1);
    expect((await c.modify(t, disk(3))).hresult).toBe(0);
    expect(Object.keys(await attachments(id))).toEqual(['3']);
  });

  it('validation failures never reach the engine (its armed fault stays armed)', async () => {
    const { id, t } = await vm();
    await hcsd.control.engineFault(id, { kind: 'fail', call: 'modify', hresult: HR.E_FAIL });
    const absent = { ...disk(4), ResourcePath: 'VirtualMachine/Devices/Scsi/not-a-controller/Attachments/4' };
    expect((await c.modify(t, absent)).hresult).toBe(HR.ERROR_DEV_NOT_EXIST);
    const bad = { ...disk(4), ResourcePath: 'VirtualMachine/Devices/Scsi/../Attachments/4' };
    expect((await c.modify(t, bad)).hresult).toBe(HR.ERROR_INVALID_DATA);
    expect(await hcsd.control.engine(id, 'faults')).toEqual([
      { call: 'modify', ms: 0, hresult: HR.E_FAIL, remaining: 1 },
    ]);
    await hcsd.control.clearFaults();
    expect(await hcsd.control.engine(id, 'faults')).toEqual([]);
  });

  it('a failed Start leaves the VM Created', async () => {
    const id = `eng-${++n}`;
    const t = await c.create(id);
    await hcsd.control.engineFault(id, { kind: 'fail', call: 'start', hresult: HR.E_INVALIDARG });
    expect((await c.call('Start', t)).hresult).toBe(HR.E_INVALIDARG);
    expect((await hcsd.control.system(id)).state).toBe('Created');
    expect((await c.call('Start', t)).hresult).toBe(0);
    expect((await hcsd.control.system(id)).state).toBe('Running');
  });
});

describe('cancellation', () => {
  it('Cancel aborts the engine call in flight: ERROR_CANCELLED, nothing committed', async () => {
    const { id, t } = await vm();
    await hcsd.control.engineFault(id, { kind: 'delay', call: 'modify', ms: 30_000 });
    const reqId = c.raw.nextRequestId;
    const began = Date.now();
    const pending = c.modify(t, disk(5));
    await until(async () => (await hcsd.control.pending()).some((p) => p.requestId === reqId));
    expect((await c.call('Cancel', 0n, [String(reqId)])).hresult).toBe(0);
    const r = await pending;
    expect(r.hresult).toBe(HR.ERROR_CANCELLED);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(await attachments(id)).toEqual({});
    expect(await hcsd.control.pending()).toEqual([]);
  });

  it('Cancel of a call still waiting in the queue answers it without running it', async () => {
    const { id, t } = await vm();
    await hcsd.control.engineFault(id, { kind: 'delay', call: 'modify', ms: 400 });
    const first = c.modify(t, disk(6));
    const reqId = c.raw.nextRequestId;
    const second = c.modify(t, disk(7));
    expect((await c.call('Cancel', 0n, [String(reqId)])).hresult).toBe(0);
    expect((await second).hresult).toBe(HR.ERROR_CANCELLED);
    expect((await first).hresult).toBe(0);
    expect(Object.keys(await attachments(id))).toEqual(['6']);
    // the cancelled request never reached the table: it was not even logged
    expect(await hcsd.control.modifyLog(id)).toHaveLength(1);
  });

  it('Terminate aborts a slow call in flight and stops the VM', async () => {
    const { id, t } = await vm();
    await hcsd.control.engineFault(id, { kind: 'delay', call: 'shutdown', ms: 30_000 });
    const began = Date.now();
    const shutdown = c.call('ShutDown', t);
    await until(async () => (await hcsd.control.pending()).length === 1);
    expect((await c.call('Terminate', t)).hresult).toBe(0);
    const r = await shutdown;
    expect(r.hresult).toBe(HR.ERROR_CANCELLED);
    expect(resultError(r).ErrorMessage).toBe('superseded by Terminate');
    expect(Date.now() - began).toBeLessThan(5000);
    const sys = await hcsd.control.system(id);
    expect(sys.state).toBe('Stopped');
    expect(sys.exit).toMatchObject({ ExitType: 'ForcedExit' });
  });
});

describe('engine faults are validated', () => {
  it('refuses unknown calls, kinds and success codes', async () => {
    const { id } = await vm();
    for (const fault of [
      { kind: 'delay', call: 'reboot', ms: 1 },
      { kind: 'explode', call: 'modify' },
      { kind: 'fail', call: 'modify', hresult: 1 },
      { kind: 'delay', call: 'modify', ms: -1 },
    ]) {
      await expect(hcsd.control.engineFault(id, fault)).rejects.toMatchObject({ hresult: HR.E_INVALIDARG });
    }
    expect(await hcsd.control.engine(id, 'faults')).toEqual([]);
  });
});
