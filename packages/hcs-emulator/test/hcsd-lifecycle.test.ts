import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR } from '../src/hcsd/errors.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, resultError, TestClient, until, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;
const fresh = (): string => `life-${++n}`;

beforeAll(async () => {
  hcsd = await startHcsd();
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
});

async function state(id: string): Promise<string> {
  return (await hcsd.control.system(id)).state;
}

describe('Create', () => {
  it('creates a system in state Created with a token and a fresh RuntimeId', async () => {
    const a = fresh();
    const b = fresh();
    const ta = await c.create(a);
    const tb = await c.create(b);
    expect(ta).not.toBe(tb);
    const ia = await hcsd.control.system(a);
    const ib = await hcsd.control.system(b);
    expect(ia.state).toBe('Created');
    expect(ia.handleCount).toBe(1);
    expect(ia.runtimeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ia.runtimeId).not.toBe(ib.runtimeId);
    expect(ia.config).toEqual(vmConfig());
  });

  it('rejects a duplicate id with HCS_E_SYSTEM_ALREADY_EXISTS', async () => {
    const id = fresh();
    await c.create(id);
    const r = await c.call('Create', 0n, [id, JSON.stringify(vmConfig())]);
    expect(r.hresult).toBe(HR.HCS_E_SYSTEM_ALREADY_EXISTS);
    expect(r.value).toBe(0n);
    expect(resultError(r)).toEqual({
      Error: i32(HR.HCS_E_SYSTEM_ALREADY_EXISTS),
      ErrorMessage: `a compute system with id "${id}" already exists`,
    });
  });

  it('rejects unparsable JSON with HCS_E_INVALID_JSON', async () => {
    const r = await c.call('Create', 0n, [fresh(), '{"SchemaVersion":']);
    expect(r.hresult).toBe(HR.HCS_E_INVALID_JSON);
    expect(resultError(r).Error).toBe(i32(HR.HCS_E_INVALID_JSON));
    expect(resultError(r).ErrorMessage).toMatch(/^configuration is not valid JSON/);
  });

  it('rejects a schema violation with E_INVALIDARG naming the dotted field path', async () => {
    const cfg = vmConfig() as { VirtualMachine: { Devices: { Scsi: Record<string, unknown> } } };
    cfg.VirtualMachine.Devices.Scsi = { c0: { Attachments: { '0': { Type: 'Floppy', Path: 'x' } } } };
    const r = await c.call('Create', 0n, [fresh(), JSON.stringify(cfg)]);
    expect(r.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(r).ErrorMessage).toMatch(
      /^invalid ComputeSystem: VirtualMachine\.Devices\.Scsi\.c0\.Attachments\.0\.Type: /,
    );
  });

  it('requires exactly one of VirtualMachine, Container, HostedSystem', async () => {
    const none = await c.call('Create', 0n, [
      fresh(),
      JSON.stringify({ SchemaVersion: { Major: 2, Minor: 1 } }),
    ]);
    expect(none.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(none).ErrorMessage).toMatch(/^invalid ComputeSystem: \(root\): exactly one of/);
    const two = await c.call('Create', 0n, [fresh(), JSON.stringify({ ...vmConfig(), Container: {} })]);
    expect(two.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(two).ErrorMessage).toMatch(
      /\(root\): exactly one of VirtualMachine, Container, HostedSystem is allowed/,
    );
    const container = await c.call('Create', 0n, [
      fresh(),
      JSON.stringify({ SchemaVersion: { Major: 2, Minor: 1 }, Container: {} }),
    ]);
    expect(container.hresult).toBe(0);
  });

  it('checks ids: empty and over-long rejected, any Unicode accepted', async () => {
    expect((await c.call('Create', 0n, ['', JSON.stringify(vmConfig())])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Create', 0n, ['x'.repeat(257), JSON.stringify(vmConfig())])).hresult).toBe(
      HR.E_INVALIDARG,
    );
    expect((await c.call('Create', 0n, ['y'.repeat(256), JSON.stringify(vmConfig())])).hresult).toBe(0);
    const unicode = 'vm-ü-日本-🚀';
    const t = await c.create(unicode);
    expect((await c.props(t)).Id).toBe(unicode);
    const o = await c.call('Open', 0n, [unicode]);
    expect(o.hresult).toBe(0);
  });

  it('rejects missing arguments with E_INVALIDARG', async () => {
    expect((await c.call('Create', 0n, [])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Create', 0n, [fresh(), null])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Open', 0n, [null])).hresult).toBe(HR.E_INVALIDARG);
  });
});

describe('Open and Close', () => {
  it('opens by id; unknown id → HCS_E_SYSTEM_NOT_FOUND', async () => {
    const id = fresh();
    await c.create(id);
    const r = await c.call('Open', 0n, [id]);
    expect(r.hresult).toBe(0);
    expect(r.value).not.toBe(0n);
    expect((await hcsd.control.system(id)).handleCount).toBe(2);
    const missing = await c.call('Open', 0n, ['no-such-system']);
    expect(missing.hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
    expect(resultError(missing)).toEqual({
      Error: i32(HR.HCS_E_SYSTEM_NOT_FOUND),
      ErrorMessage: 'no compute system "no-such-system"',
    });
  });

  it('a closed token is E_HANDLE; a system without ShouldTerminateOnLastHandleClosed survives its last Close', async () => {
    const id = fresh();
    const t = await c.create(id);
    expect((await c.call('Close', t)).hresult).toBe(0);
    expect((await c.call('Start', t)).hresult).toBe(HR.E_HANDLE);
    expect((await c.call('Close', t)).hresult).toBe(HR.E_HANDLE);
    expect(await state(id)).toBe('Created');
    expect((await hcsd.control.system(id)).handleCount).toBe(0);
    const again = await c.call('Open', 0n, [id]);
    expect(again.hresult).toBe(0);
  });

  it('a stopped system is torn down when its last handle closes; Open then fails', async () => {
    const id = fresh();
    const t1 = await c.running(id);
    const t2 = (await c.call('Open', 0n, [id])).value;
    expect((await c.call('Terminate', t1)).hresult).toBe(0);
    expect((await c.call('Close', t1)).hresult).toBe(0);
    // still there: t2 open; can be opened again
    const t3 = (await c.call('Open', 0n, [id])).value;
    expect(t3).not.toBe(0n);
    expect(await state(id)).toBe('Stopped');
    await c.call('Close', t2);
    await c.call('Close', t3);
    expect((await c.call('Open', 0n, [id])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
    await expect(hcsd.control.system(id)).rejects.toMatchObject({ hresult: HR.HCS_E_SYSTEM_NOT_FOUND });
    // the id can be reused
    expect((await c.call('Create', 0n, [id, JSON.stringify(vmConfig())])).hresult).toBe(0);
  });

  it('ShouldTerminateOnLastHandleClosed: the last Close terminates and tears down', async () => {
    const id = fresh();
    const t = await c.running(id, vmConfig({ terminate: true }));
    const t2 = (await c.call('Open', 0n, [id])).value;
    await c.call('Close', t);
    expect(await state(id)).toBe('Running');
    await c.call('Close', t2);
    expect((await c.call('Open', 0n, [id])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
  });

  it('ShouldTerminateOnLastHandleClosed is honoured when a client connection drops', async () => {
    const id = fresh();
    const other = await TestClient.connect(hcsd.socketPath, 'dropper');
    await other.running(id, vmConfig({ terminate: true }));
    const watcher = await TestClient.connect(hcsd.socketPath, 'watcher');
    const keep = fresh();
    await other.running(keep, vmConfig({ terminate: false }));
    other.raw.destroy();
    await until(async () => (await hcsd.control.systems()).every((x) => x.id !== id));
    expect((await c.call('Open', 0n, [id])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
    // without the flag the system survives the client
    expect(await state(keep)).toBe('Running');
    const clients = await hcsd.control.clients();
    expect(clients.find((x) => x.name === 'dropper')).toBeUndefined();
    await watcher.close();
  });
});

describe('state transitions', () => {
  it('Created → Running → Paused → Running → Stopped (ShutDown)', async () => {
    const id = fresh();
    const t = await c.create(id);
    expect((await c.call('Start', t)).hresult).toBe(0);
    expect(await state(id)).toBe('Running');
    expect((await c.call('Pause', t, [JSON.stringify({ SuspensionLevel: 'Suspend' })])).hresult).toBe(0);
    expect(await state(id)).toBe('Paused');
    expect((await c.call('Resume', t)).hresult).toBe(0);
    expect(await state(id)).toBe('Running');
    expect((await c.call('ShutDown', t)).hresult).toBe(0);
    expect(await state(id)).toBe('Stopped');
    expect((await hcsd.control.system(id)).exit).toEqual({
      Status: 0,
      ExitType: 'GracefulExit',
      Attribution: [{ SystemExit: { Detail: 'Shutdown', Initiator: 'Client' } }],
    });
  });

  it('Terminate works from Created, Running and Paused', async () => {
    for (const to of ['Created', 'Running', 'Paused'] as const) {
      const id = fresh();
      const t = await c.create(id);
      if (to !== 'Created') await c.call('Start', t);
      if (to === 'Paused') await c.call('Pause', t);
      expect((await c.call('Terminate', t)).hresult).toBe(0);
      expect(await state(id)).toBe('Stopped');
      expect((await hcsd.control.system(id)).exit).toMatchObject({ ExitType: 'ForcedExit', Status: 0 });
    }
  });

  it('ShutDown works from Created and Paused', async () => {
    for (const paused of [false, true]) {
      const id = fresh();
      const t = await c.create(id);
      if (paused) {
        await c.call('Start', t);
        await c.call('Pause', t);
      }
      expect((await c.call('ShutDown', t)).hresult).toBe(0);
      expect(await state(id)).toBe('Stopped');
    }
  });

  it('invalid transitions answer HCS_E_INVALID_STATE and leave the state alone', async () => {
    const id = fresh();
    const t = await c.create(id);
    for (const m of ['Pause', 'Resume', 'Save', 'Crash'] as const) {
      const r = await c.call(m, t);
      expect(r.hresult, m).toBe(HR.HCS_E_INVALID_STATE);
      expect(resultError(r).Error).toBe(i32(HR.HCS_E_INVALID_STATE));
    }
    expect(await state(id)).toBe('Created');
    await c.call('Start', t);
    for (const m of ['Start', 'Resume', 'Save'] as const) {
      expect((await c.call(m, t)).hresult, m).toBe(HR.HCS_E_INVALID_STATE);
    }
    expect(await state(id)).toBe('Running');
    await c.call('Pause', t);
    for (const m of ['Start', 'Pause', 'Crash'] as const) {
      expect((await c.call(m, t)).hresult, m).toBe(HR.HCS_E_INVALID_STATE);
    }
    expect(await state(id)).toBe('Paused');
  });

  it('after Stopped: every lifecycle call and Modify → HCS_E_SYSTEM_ALREADY_STOPPED; GetProperties still answers', async () => {
    const id = fresh();
    const t = await c.running(id);
    await c.call('Terminate', t);
    for (const m of ['Start', 'Pause', 'Resume', 'Save', 'ShutDown', 'Terminate', 'Crash'] as const) {
      const r = await c.call(m, t);
      expect(r.hresult, m).toBe(HR.HCS_E_SYSTEM_ALREADY_STOPPED);
    }
    const mod = await c.modify(t, {
      ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
      Settings: 2048,
    });
    expect(mod.hresult).toBe(HR.HCS_E_SYSTEM_ALREADY_STOPPED);
    const p = await c.props(t);
    expect(p).toMatchObject({ Id: id, State: 'Stopped', Stopped: true, ExitType: 'ForcedExit' });
  });

  it('Save: only from Paused; AsTemplate → SavedAsTemplate; ToFile stays Paused and needs a path', async () => {
    const id = fresh();
    const t = await c.running(id);
    expect((await c.call('Save', t, [JSON.stringify({ SaveType: 'AsTemplate' })])).hresult).toBe(
      HR.HCS_E_INVALID_STATE,
    );
    await c.call('Pause', t, [JSON.stringify({ HostedNotification: { Reason: 'Save' } })]);
    const noPath = await c.call('Save', t, [JSON.stringify({ SaveType: 'ToFile' })]);
    expect(noPath.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(noPath).ErrorMessage).toContain('SaveStateFilePath');
    const bad = await c.call('Save', t, [JSON.stringify({ SaveType: 'Nope' })]);
    expect(bad.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(bad).ErrorMessage).toMatch(/^invalid SaveOptions: SaveType: /);
    expect(
      (await c.call('Save', t, [JSON.stringify({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/x.vmrs' })]))
        .hresult,
    ).toBe(0);
    expect(await state(id)).toBe('Paused');
    expect((await hcsd.control.system(id)).lastSave).toEqual({
      SaveType: 'ToFile',
      SaveStateFilePath: '/tmp/x.vmrs',
    });
    expect((await c.call('Save', t, [JSON.stringify({ SaveType: 'AsTemplate' })])).hresult).toBe(0);
    expect(await state(id)).toBe('SavedAsTemplate');
    for (const m of ['Start', 'Resume', 'Pause', 'Save', 'Crash'] as const) {
      expect((await c.call(m, t)).hresult, m).toBe(HR.HCS_E_INVALID_STATE);
    }
    expect((await c.call('Terminate', t)).hresult).toBe(0);
    expect(await state(id)).toBe('Stopped');
  });

  it('Crash: Running → Stopped with UnexpectedExit', async () => {
    const id = fresh();
    const t = await c.running(id);
    const bad = await c.call('Crash', t, [JSON.stringify({ Type: 'Reboot' })]);
    expect(bad.hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Crash', t, [JSON.stringify({ Type: 'CrashGuest' })])).hresult).toBe(0);
    expect((await hcsd.control.system(id)).exit).toEqual({
      Status: i32(HR.HCS_E_UNEXPECTED_EXIT),
      ExitType: 'UnexpectedExit',
      Attribution: [{ SystemExit: { Detail: 'UnexpectedExit', Initiator: 'GuestOS' } }],
    });
  });

  it('option documents: unparsable → HCS_E_INVALID_JSON, wrong shape → E_INVALIDARG, empty string = absent', async () => {
    const t = await c.create(fresh());
    expect((await c.call('Start', t, ['{'])).hresult).toBe(HR.HCS_E_INVALID_JSON);
    expect((await c.call('Start', t, ['[1]'])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Start', t, [''])).hresult).toBe(0);
    expect((await c.call('Pause', t, [JSON.stringify({ SuspensionLevel: 'Deep' })])).hresult).toBe(
      HR.E_INVALIDARG,
    );
    expect((await c.call('Terminate', t, ['"x"'])).hresult).toBe(HR.E_INVALIDARG);
    expect((await c.call('Terminate', t, ['{}'])).hresult).toBe(0);
  });
});

describe('Enumerate', () => {
  it('filters by Ids, Names, Types and Owners (AND across, OR within; owners case-insensitive)', async () => {
    const a = `enum-a-${n}`;
    const b = `enum-b-${n}`;
    const k = `enum-c-${n}`;
    const owner = `owner-${n}`;
    await c.create(a, vmConfig({ Owner: owner }));
    await c.create(b, vmConfig({ Owner: 'someone-else' }));
    await c.create(k, { SchemaVersion: { Major: 2, Minor: 1 }, Owner: owner.toUpperCase(), Container: {} });
    const ids = async (q: unknown): Promise<string[]> => {
      const r = await c.call('Enumerate', 0n, q === undefined ? [] : [JSON.stringify(q)]);
      expect(r.hresult).toBe(0);
      return (r.json as { Id: string }[])
        .map((p) => p.Id)
        .filter((x) => x.startsWith('enum-'))
        .sort();
    };
    expect(await ids(undefined)).toEqual([a, b, k]);
    expect(await ids({})).toEqual([a, b, k]);
    expect(await ids({ Ids: [a, k] })).toEqual([a, k]);
    expect(await ids({ Names: [b] })).toEqual([b]);
    expect(await ids({ Types: ['Container'] })).toEqual([k]);
    expect(await ids({ Types: ['VirtualMachine'], Owners: [owner] })).toEqual([a]);
    expect(await ids({ Owners: [owner] })).toEqual([a, k]);
    expect(await ids({ Ids: [a], Owners: ['someone-else'] })).toEqual([]);
    const all = await c.call('Enumerate', 0n, [JSON.stringify({ Ids: [a] })]);
    expect(all.json).toEqual([
      {
        Id: a,
        SystemType: 'VirtualMachine',
        RuntimeOsType: 'Windows',
        Name: a,
        Owner: owner,
        RuntimeId: (await hcsd.control.system(a)).runtimeId,
        State: 'Created',
        Stopped: false,
      },
    ]);
  });

  it('rejects bad queries', async () => {
    expect((await c.call('Enumerate', 0n, ['{'])).hresult).toBe(HR.HCS_E_INVALID_JSON);
    const r = await c.call('Enumerate', 0n, [JSON.stringify({ Types: ['Silo'] })]);
    expect(r.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(r).ErrorMessage).toMatch(/^invalid SystemQuery: Types\.0: /);
  });
});
