import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR } from '../src/hcsd/errors.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, resultError, SCSI0, SCSI1, TestClient, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd();
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
});

const DEV = 'VirtualMachine/Devices';
const NIC = '6d2f9c7a-1b7e-4d6a-9a5e-0c1d2e3f4a5b';
const PCI = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SVC = '0000107d-facb-11e6-bd58-64006a7986d3';

/** A running VM; returns its id and token. */
async function vm(config: unknown = vmConfig()): Promise<{ id: string; t: bigint }> {
  const id = `mod-${++n}`;
  return { id, t: await c.running(id, config) };
}

async function devices(id: string) {
  return (await hcsd.control.system(id)).devices;
}

/** Every request sent per token, to compare with hcsd's modify log. */
const sent = new Map<bigint, unknown[]>();
function record(t: bigint, req: unknown): void {
  sent.set(t, [...(sent.get(t) ?? []), req]);
}

/** The modify log of `id` holds exactly the requests sent on `t`, in order. */
async function expectLog(id: string, t: bigint): Promise<void> {
  expect(await hcsd.control.modifyLog(id)).toEqual(sent.get(t) ?? []);
}

async function expectFail(t: bigint, req: unknown, hr: number, message?: RegExp | string): Promise<void> {
  record(t, req);
  const r = await c.modify(t, req);
  expect(r.hresult, JSON.stringify(req)).toBe(hr);
  expect(r.value).toBe(0n);
  const doc = resultError(r);
  expect(doc.Error).toBe(i32(hr));
  if (message !== undefined) {
    if (typeof message === 'string') expect(doc.ErrorMessage).toBe(message);
    else expect(doc.ErrorMessage).toMatch(message);
  }
}

async function expectOk(t: bigint, req: unknown): Promise<void> {
  record(t, req);
  const r = await c.modify(t, req);
  expect(r.hresult, `${JSON.stringify(req)} → ${r.document}`).toBe(0);
  expect(r.document).toBeNull();
}

describe('SCSI attachments', () => {
  const path = (ctrl: string, lun: number) => `${DEV}/Scsi/${ctrl}/Attachments/${lun}`;
  const disk = { Type: 'VirtualDisk', Path: '/disks/a.vhdx', ReadOnly: true };

  it('add, occupied, remove, absent, unknown controller, bad settings; device table and modify log', async () => {
    const { id, t } = await vm();
    const add = { ResourcePath: path(SCSI0, 1), RequestType: 'Add', Settings: disk };
    await expectOk(t, add);
    expect((await devices(id)).scsi).toEqual({ [SCSI0]: { '1': disk } });
    await expectFail(t, add, HR.ERROR_ALREADY_EXISTS, `SCSI controller ${SCSI0} LUN 1 is already occupied`);
    // controller key matched case-insensitively
    await expectOk(t, {
      ResourcePath: path(SCSI0.toUpperCase(), 2),
      RequestType: 'Add',
      Settings: { Type: 'Iso', Path: '/x.iso' },
    });
    await expectFail(
      t,
      { ResourcePath: path(SCSI1, 0), RequestType: 'Add', Settings: disk },
      HR.ERROR_DEV_NOT_EXIST,
      `SCSI controller ${SCSI1} is not configured on this VM`,
    );
    await expectFail(
      t,
      { ResourcePath: path(SCSI0, 3), RequestType: 'Add', Settings: { Type: 'VirtualDisk' } },
      HR.E_INVALIDARG,
      'invalid ModifySettingRequest: Settings.Path: is required',
    );
    await expectFail(
      t,
      { ResourcePath: path(SCSI0, 3), RequestType: 'Update', Settings: disk },
      HR.ERROR_NOT_SUPPORTED,
    );
    const remove = { ResourcePath: path(SCSI0, 1), RequestType: 'Remove' };
    await expectOk(t, remove);
    await expectFail(t, remove, HR.ERROR_NOT_FOUND, `SCSI controller ${SCSI0} LUN 1 has no attachment`);
    expect((await devices(id)).scsi).toEqual({ [SCSI0]: { '2': { Type: 'Iso', Path: '/x.iso' } } });
    const cfg = (await hcsd.control.system(id)).config as { VirtualMachine: { Devices: { Scsi: unknown } } };
    expect(cfg.VirtualMachine.Devices.Scsi).toEqual({
      [SCSI0]: { Attachments: { '2': { Type: 'Iso', Path: '/x.iso' } } },
    });
    const log = await hcsd.control.modifyLog(id);
    expect(log).toHaveLength(8);
    expect(log[0]).toEqual(add);
    expect(log[6]).toEqual(remove);
    await expectLog(id, t);
  });

  it('a LUN out of range is an unknown path', async () => {
    const { t } = await vm();
    await expectFail(
      t,
      { ResourcePath: path(SCSI0, 64), RequestType: 'Add', Settings: disk },
      HR.ERROR_INVALID_DATA,
    );
  });
});

describe('network adapters', () => {
  const path = `${DEV}/NetworkAdapters/${NIC}`;
  const nic = { EndpointId: 'e2a8f1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b', MacAddress: '00-15-5D-01-02-03' };

  it('add, occupied, update, remove (settings on remove), absent', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: nic });
    expect((await devices(id)).networkAdapters).toEqual({ [NIC]: nic });
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Add', Settings: nic },
      HR.ERROR_ALREADY_EXISTS,
      `network adapter ${NIC} already exists`,
    );
    const updated = { ...nic, MacAddress: '00-15-5D-01-02-04' };
    await expectOk(t, { ResourcePath: path, RequestType: 'Update', Settings: updated });
    expect((await devices(id)).networkAdapters).toEqual({ [NIC]: updated });
    await expectOk(t, { ResourcePath: path, RequestType: 'Remove', Settings: updated });
    expect((await devices(id)).networkAdapters).toEqual({});
    await expectFail(t, { ResourcePath: path, RequestType: 'Remove', Settings: nic }, HR.ERROR_NOT_FOUND);
    await expectFail(t, { ResourcePath: path, RequestType: 'Update', Settings: nic }, HR.ERROR_NOT_FOUND);
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Add', Settings: { ...nic, MacAddress: 7 } },
      HR.E_INVALIDARG,
      /Settings\.MacAddress/,
    );
    await expectFail(
      t,
      { ResourcePath: `${DEV}/NetworkAdapters/not-a-guid`, RequestType: 'Add', Settings: nic },
      HR.ERROR_INVALID_DATA,
    );
    await expectLog(id, t);
  });
});

describe('VPMem devices and mappings', () => {
  const dev = (d: number) => `${DEV}/VirtualPMem/Devices/${d}`;
  const map = (d: number, o: number) => `${DEV}/VirtualPMem/Devices/${d}/Mappings/${o}`;
  const image = { HostPath: '/layers/a.vhd', ReadOnly: true, ImageFormat: 'Vhd1' };

  it('device numbers stay below MaximumCount; occupied; absent; mappings need the device', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: dev(0), RequestType: 'Add', Settings: image });
    await expectOk(t, { ResourcePath: dev(3), RequestType: 'Add', Settings: image });
    await expectFail(
      t,
      { ResourcePath: dev(4), RequestType: 'Add', Settings: image },
      HR.E_BOUNDS,
      "VPMem device number 4 is not below the controller's MaximumCount 4",
    );
    await expectFail(
      t,
      { ResourcePath: dev(0), RequestType: 'Add', Settings: image },
      HR.ERROR_ALREADY_EXISTS,
      'VPMem device 0 already exists',
    );
    const m = { HostPath: '/layers/b.vhd', ImageFormat: 'Vhd1' };
    await expectOk(t, { ResourcePath: map(0, 4096), RequestType: 'Add', Settings: m });
    await expectFail(
      t,
      { ResourcePath: map(0, 4096), RequestType: 'Add', Settings: m },
      HR.ERROR_ALREADY_EXISTS,
    );
    await expectFail(
      t,
      { ResourcePath: map(1, 0), RequestType: 'Add', Settings: m },
      HR.ERROR_NOT_FOUND,
      'VPMem device 1 does not exist',
    );
    await expectFail(t, { ResourcePath: map(0, 8192), RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    expect((await devices(id)).vpmem).toEqual({
      MaximumCount: 4,
      Devices: { '0': { ...image, Mappings: { '4096': m } }, '3': image },
    });
    await expectOk(t, { ResourcePath: map(0, 4096), RequestType: 'Remove' });
    expect((await devices(id)).vpmem?.Devices['0']).toEqual({ ...image, Mappings: {} });
    await expectOk(t, { ResourcePath: dev(0), RequestType: 'Remove' });
    await expectFail(t, { ResourcePath: dev(0), RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    await expectFail(
      t,
      { ResourcePath: dev(1), RequestType: 'Add', Settings: { ReadOnly: true } },
      HR.E_INVALIDARG,
      /Settings\.HostPath: is required/,
    );
    expect((await devices(id)).vpmem).toEqual({ MaximumCount: 4, Devices: { '3': image } });
    await expectLog(id, t);
  });

  it('no VPMem controller → ERROR_DEV_NOT_EXIST', async () => {
    const { t } = await vm(vmConfig({ devices: {} }));
    await expectFail(
      t,
      { ResourcePath: dev(0), RequestType: 'Add', Settings: image },
      HR.ERROR_DEV_NOT_EXIST,
      'this VM has no VirtualPMem controller',
    );
    await expectFail(
      t,
      { ResourcePath: map(0, 0), RequestType: 'Add', Settings: { HostPath: '/m.vhd' } },
      HR.ERROR_DEV_NOT_EXIST,
    );
  });
});

describe('Plan 9 shares', () => {
  const path = `${DEV}/Plan9/Shares`;
  const share = { Name: 'share1', AccessName: 'share1', Path: '/srv/share1', Port: 564, Flags: 4 };

  it('unique names; Remove matches by Name', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: share });
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Add', Settings: { ...share, Path: '/other' } },
      HR.ERROR_ALREADY_EXISTS,
      'Plan 9 share "share1" already exists',
    );
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: { ...share, Name: 'share2' } });
    expect((await devices(id)).plan9Shares.map((s) => (s as { Name: string }).Name)).toEqual([
      'share1',
      'share2',
    ]);
    await expectOk(t, {
      ResourcePath: path,
      RequestType: 'Remove',
      Settings: { Name: 'share1', AccessName: 'share1', Port: 564 },
    });
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Remove', Settings: { Name: 'share1' } },
      HR.ERROR_NOT_FOUND,
      'Plan 9 share "share1" does not exist',
    );
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Update', Settings: share },
      HR.ERROR_NOT_SUPPORTED,
    );
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Remove' },
      HR.E_INVALIDARG,
      'invalid ModifySettingRequest: Settings: is required',
    );
    expect((await devices(id)).plan9Shares).toEqual([{ ...share, Name: 'share2' }]);
    await expectLog(id, t);
  });
});

describe('VSMB shares', () => {
  const path = `${DEV}/VirtualSmb/Shares`;

  it('unique names; Update only changes AllowedFiles and needs RestrictFileAccess', async () => {
    const { id, t } = await vm();
    const restricted = {
      Name: 'r',
      Path: 'C:\\r',
      AllowedFiles: ['a.txt'],
      Options: { ReadOnly: true, RestrictFileAccess: true },
    };
    const open = { Name: 'o', Path: 'C:\\o', Options: { ReadOnly: true } };
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: restricted });
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: open });
    await expectFail(t, { ResourcePath: path, RequestType: 'Add', Settings: open }, HR.ERROR_ALREADY_EXISTS);
    await expectOk(t, {
      ResourcePath: path,
      RequestType: 'Update',
      Settings: { Name: 'r', Path: 'C:\\ignored', AllowedFiles: ['a.txt', 'b.txt'] },
    });
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Update', Settings: { Name: 'o', AllowedFiles: ['x'] } },
      HR.ERROR_INVALID_OPERATION,
      /RestrictFileAccess/,
    );
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Update', Settings: { Name: 'zz', AllowedFiles: [] } },
      HR.ERROR_NOT_FOUND,
    );
    expect((await devices(id)).vsmbShares).toEqual([
      { ...restricted, AllowedFiles: ['a.txt', 'b.txt'] },
      open,
    ]);
    await expectOk(t, { ResourcePath: path, RequestType: 'Remove', Settings: { Name: 'o' } });
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Remove', Settings: { Name: 'o' } },
      HR.ERROR_NOT_FOUND,
    );
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Add', Settings: { Name: 'x', Options: { Bogus: true } } },
      HR.E_INVALIDARG,
      /Settings\.Options\.Bogus/,
    );
    expect((await devices(id)).vsmbShares).toEqual([{ ...restricted, AllowedFiles: ['a.txt', 'b.txt'] }]);
    await expectLog(id, t);
  });
});

describe('virtual PCI', () => {
  const path = `${DEV}/VirtualPci/${PCI}`;
  const device = { Functions: [{ DeviceInstancePath: 'PCIP\\VEN_1234&DEV_5678\\1', VirtualFunction: 1 }] };

  it('add, occupied, remove, absent; Remove ignores settings', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: path, RequestType: 'Add', Settings: device });
    await expectFail(
      t,
      {
        ResourcePath: path.toUpperCase().replace('VIRTUALMACHINE/DEVICES/VIRTUALPCI', `${DEV}/VirtualPci`),
        RequestType: 'Add',
        Settings: device,
      },
      HR.ERROR_ALREADY_EXISTS,
    );
    expect((await devices(id)).virtualPci).toEqual({ [PCI]: device });
    await expectOk(t, { ResourcePath: path, RequestType: 'Remove', Settings: { whatever: 1 } });
    await expectFail(t, { ResourcePath: path, RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Add', Settings: { Functions: [] } },
      HR.E_INVALIDARG,
      /Settings\.Functions/,
    );
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Update', Settings: device },
      HR.ERROR_NOT_SUPPORTED,
    );
    await expectLog(id, t);
  });
});

describe('HvSocket service table', () => {
  const path = `${DEV}/HvSocket/HvSocketConfig/ServiceTable/${SVC}`;
  const entry = {
    BindSecurityDescriptor: 'D:P(A;;FA;;;SY)',
    ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)',
    AllowWildcardBinds: true,
  };

  it('Update creates or replaces; Disabled with empty descriptors removes an entry or creates it disabled; Remove of absent fails; Add not taken', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: path, RequestType: 'Update', Settings: entry });
    expect((await devices(id)).hvSocketServices).toEqual({ [SVC]: entry });
    const replaced = { ...entry, AllowWildcardBinds: false };
    await expectOk(t, { ResourcePath: path, RequestType: 'Update', Settings: replaced });
    expect((await devices(id)).hvSocketServices).toEqual({ [SVC]: replaced });
    await expectOk(t, {
      ResourcePath: path,
      RequestType: 'Update',
      Settings: { Disabled: true, BindSecurityDescriptor: '', ConnectSecurityDescriptor: '' },
    });
    expect((await devices(id)).hvSocketServices).toEqual({});
    // On an absent entry, a disabled Update creates it as given.
    await expectOk(t, { ResourcePath: path, RequestType: 'Update', Settings: { Disabled: true } });
    expect((await devices(id)).hvSocketServices).toEqual({ [SVC]: { Disabled: true } });
    await expectOk(t, { ResourcePath: path, RequestType: 'Remove' });
    await expectFail(t, { ResourcePath: path, RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    await expectOk(t, { ResourcePath: path, Settings: entry }); // absent RequestType = Update
    await expectOk(t, { ResourcePath: path, RequestType: 'Remove' });
    await expectFail(t, { ResourcePath: path, RequestType: 'Add', Settings: entry }, HR.ERROR_NOT_SUPPORTED);
    await expectFail(
      t,
      { ResourcePath: path, RequestType: 'Update', Settings: { Disabled: 'yes' } },
      HR.E_INVALIDARG,
      /Settings\.Disabled/,
    );
    expect((await devices(id)).hvSocketServices).toEqual({});
    await expectLog(id, t);
  });
});

describe('COM ports, FlexibleIov, mapped pipes, shared memory, licensing', () => {
  it('COM ports 0..1: add, occupied, update, remove, absent; index 2 is an unknown path', async () => {
    const { id, t } = await vm();
    const p = (i: number) => `${DEV}/ComPorts/${i}`;
    await expectOk(t, {
      ResourcePath: p(0),
      RequestType: 'Add',
      Settings: { NamedPipe: '\\\\.\\pipe\\com1' },
    });
    await expectFail(t, { ResourcePath: p(0), RequestType: 'Add', Settings: {} }, HR.ERROR_ALREADY_EXISTS);
    await expectOk(t, {
      ResourcePath: p(0),
      RequestType: 'Update',
      Settings: { NamedPipe: '\\\\.\\pipe\\com1b', OptimizeForDebugger: true },
    });
    await expectFail(t, { ResourcePath: p(1), RequestType: 'Update', Settings: {} }, HR.ERROR_NOT_FOUND);
    expect((await devices(id)).comPorts).toEqual({
      '0': { NamedPipe: '\\\\.\\pipe\\com1b', OptimizeForDebugger: true },
    });
    await expectOk(t, { ResourcePath: p(0), RequestType: 'Remove' });
    await expectFail(t, { ResourcePath: p(0), RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    await expectFail(t, { ResourcePath: p(2), RequestType: 'Add', Settings: {} }, HR.ERROR_INVALID_DATA);
    await expectLog(id, t);
  });

  it('FlexibleIov: Add only, occupied', async () => {
    const { id, t } = await vm();
    const p = `${DEV}/FlexibleIov/dev-1`;
    const s = { EmulatorId: '11111111-2222-3333-4444-555555555555', HostingModel: 'External' };
    await expectOk(t, { ResourcePath: p, RequestType: 'Add', Settings: s });
    await expectFail(t, { ResourcePath: p, RequestType: 'Add', Settings: s }, HR.ERROR_ALREADY_EXISTS);
    await expectFail(t, { ResourcePath: p, RequestType: 'Remove' }, HR.ERROR_NOT_SUPPORTED);
    await expectFail(
      t,
      { ResourcePath: p, RequestType: 'Add', Settings: { EmulatorId: 'nope' } },
      HR.E_INVALIDARG,
      /Settings\.EmulatorId/,
    );
    expect((await devices(id)).flexibleIov).toEqual({ 'dev-1': s });
    await expectLog(id, t);
  });

  it("FlexibleIov named __proto__ is an entry like any other, not the map's prototype", async () => {
    const { id, t } = await vm();
    const p = `${DEV}/FlexibleIov/__proto__`;
    const s = { EmulatorId: '11111111-2222-3333-4444-555555555555' };
    await expectOk(t, { ResourcePath: p, RequestType: 'Add', Settings: s });
    await expectFail(t, { ResourcePath: p, RequestType: 'Add', Settings: s }, HR.ERROR_ALREADY_EXISTS);
    const table = (await devices(id)).flexibleIov as Record<string, unknown>;
    expect(Object.keys(table)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(table, '__proto__')?.value).toEqual(s);
  });

  it('mapped pipes: add, occupied (case-insensitive), remove, absent, settings not taken', async () => {
    const { id, t } = await vm();
    const p = `${DEV}/MappedPipes/\\\\.\\pipe\\containerd`;
    await expectOk(t, { ResourcePath: p, RequestType: 'Add' });
    await expectFail(
      t,
      { ResourcePath: `${DEV}/MappedPipes/\\\\.\\PIPE\\ContainerD`, RequestType: 'Add' },
      HR.ERROR_ALREADY_EXISTS,
    );
    expect((await devices(id)).mappedPipes).toEqual(['\\\\.\\pipe\\containerd']);
    await expectFail(
      t,
      { ResourcePath: p, RequestType: 'Add', Settings: {} },
      HR.E_INVALIDARG,
      'invalid ModifySettingRequest: Settings: MappedPipe takes no Settings',
    );
    await expectFail(t, { ResourcePath: p, RequestType: 'Update' }, HR.ERROR_NOT_SUPPORTED);
    await expectOk(t, { ResourcePath: p, RequestType: 'Remove' });
    await expectFail(t, { ResourcePath: p, RequestType: 'Remove' }, HR.ERROR_NOT_FOUND);
    expect((await devices(id)).mappedPipes).toEqual([]);
    await expectLog(id, t);
  });

  it('shared memory regions by SectionName: add, occupied, update, remove, absent', async () => {
    const { id, t } = await vm();
    const p = `${DEV}/SharedMemory/Regions`;
    const r = { SectionName: 'sec', StartOffset: 0, Length: 4096, AllowGuestWrite: false };
    await expectOk(t, { ResourcePath: p, RequestType: 'Add', Settings: r });
    await expectFail(t, { ResourcePath: p, RequestType: 'Add', Settings: r }, HR.ERROR_ALREADY_EXISTS);
    await expectOk(t, { ResourcePath: p, RequestType: 'Update', Settings: { ...r, AllowGuestWrite: true } });
    expect((await devices(id)).sharedMemoryRegions).toEqual([{ ...r, AllowGuestWrite: true }]);
    await expectOk(t, { ResourcePath: p, RequestType: 'Remove', Settings: { SectionName: 'sec' } });
    await expectFail(
      t,
      { ResourcePath: p, RequestType: 'Remove', Settings: { SectionName: 'sec' } },
      HR.ERROR_NOT_FOUND,
    );
    await expectFail(
      t,
      { ResourcePath: p, RequestType: 'Add', Settings: { Length: 1 } },
      HR.E_INVALIDARG,
      /Settings\.SectionName/,
    );
    await expectLog(id, t);
  });

  it('licensing accepts anything', async () => {
    const { id, t } = await vm();
    await expectOk(t, {
      ResourcePath: `${DEV}/Licensing`,
      RequestType: 'Update',
      Settings: { Any: ['thing'] },
    });
    expect((await devices(id)).licensing).toEqual({ Any: ['thing'] });
    await expectOk(t, { ResourcePath: `${DEV}/Licensing`, RequestType: 'Remove' });
    expect((await devices(id)).licensing).toBeUndefined();
    await expectLog(id, t);
  });
});

describe('compute topology resources', () => {
  const TOPO = 'VirtualMachine/ComputeTopology';

  it('memory size: bare number, absent RequestType = Update, config updated', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: `${TOPO}/Memory/SizeInMB`, Settings: 2048 });
    expect((await devices(id)).memorySizeInMB).toBe(2048);
    await expectOk(t, { ResourcePath: `${TOPO}/Memory/SizeInMB`, RequestType: 'Update', Settings: 4096 });
    const sys = await hcsd.control.system(id);
    expect(
      (sys.config as { VirtualMachine: { ComputeTopology: unknown } }).VirtualMachine.ComputeTopology,
    ).toEqual({
      Memory: { SizeInMB: 4096 },
      Processor: { Count: 2 },
    });
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Memory/SizeInMB`, Settings: { SizeInMB: 1 } },
      HR.E_INVALIDARG,
      /^invalid ModifySettingRequest: Settings: /,
    );
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Memory/SizeInMB`, RequestType: 'Remove' },
      HR.ERROR_NOT_SUPPORTED,
      'memory size cannot be removed (use Update)',
    );
    const p = await c.props(t, { PropertyTypes: ['Memory'] });
    expect(
      (p.Memory as { VirtualMachineMemory: { AssignedMemory: number } }).VirtualMachineMemory.AssignedMemory,
    ).toBe(4096);
    await expectLog(id, t);
  });

  it('CPU group: set, null GUID removes', async () => {
    const { id, t } = await vm();
    const g = '8f7e6d5c-4b3a-4921-8a7b-6c5d4e3f2a1b';
    await expectOk(t, { ResourcePath: `${TOPO}/Processor/CpuGroup`, Settings: { Id: g } });
    expect((await devices(id)).processor).toEqual({ Count: 2, CpuGroup: { Id: g } });
    await expectOk(t, {
      ResourcePath: `${TOPO}/Processor/CpuGroup`,
      Settings: { Id: '00000000-0000-0000-0000-000000000000' },
    });
    expect((await devices(id)).processor).toEqual({ Count: 2 });
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Processor/CpuGroup`, Settings: { Id: 'x' } },
      HR.E_INVALIDARG,
      /Settings\.Id/,
    );
    await expectLog(id, t);
  });

  it('processor limits merge into the processor config', async () => {
    const { id, t } = await vm();
    await expectOk(t, { ResourcePath: `${TOPO}/Processor/Limits`, Settings: { Limit: 50000, Weight: 200 } });
    await expectOk(t, { ResourcePath: `${TOPO}/Processor/Limits`, Settings: { Reservation: 10 } });
    expect((await devices(id)).processor).toEqual({ Count: 2, Limit: 50000, Weight: 200, Reservation: 10 });
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Processor/Limits`, Settings: { Limit: -1 } },
      HR.E_INVALIDARG,
      /Settings\.Limit/,
    );
    await expectLog(id, t);
  });

  it('idled processors (Update only, bounded by the processor count), power cap, GPU', async () => {
    const { id, t } = await vm();
    await expectOk(t, {
      ResourcePath: `${TOPO}/Processor/IdledProcessors`,
      RequestType: 'Update',
      Settings: { IdleProcessorCount: 1 },
    });
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Processor/IdledProcessors`, Settings: { IdleProcessorCount: 3 } },
      HR.E_BOUNDS,
    );
    await expectFail(
      t,
      {
        ResourcePath: `${TOPO}/Processor/IdledProcessors`,
        RequestType: 'Add',
        Settings: { IdleProcessorCount: 1 },
      },
      HR.ERROR_NOT_SUPPORTED,
    );
    await expectOk(t, { ResourcePath: `${TOPO}/Processor/CpuFrequencyPowerCap`, Settings: 1500 });
    const gpu = { AssignmentMode: 'Mirror', AllowVendorExtension: true };
    await expectOk(t, { ResourcePath: `${TOPO}/Gpu`, RequestType: 'Update', Settings: gpu });
    await expectFail(
      t,
      { ResourcePath: `${TOPO}/Gpu`, RequestType: 'Add', Settings: gpu },
      HR.ERROR_NOT_SUPPORTED,
    );
    const d = await devices(id);
    expect(d.idledProcessors).toEqual({ IdleProcessorCount: 1 });
    expect(d.cpuFrequencyPowerCap).toBe(1500);
    expect(d.gpu).toEqual(gpu);
    await expectLog(id, t);
  });
});

describe('request-level errors', () => {
  it('unparsable JSON, unknown path, bad RequestType, state, non-VM; everything parsed is logged', async () => {
    const id = `mod-${++n}`;
    const t = await c.create(id);
    const good = {
      ResourcePath: `${DEV}/Plan9/Shares`,
      RequestType: 'Add',
      Settings: { Name: 's', Path: '/s' },
    };
    await expectFail(t, good, HR.HCS_E_INVALID_STATE, `cannot modify system ${id} in state Created`);
    await c.call('Start', t);
    const bad = await c.call('Modify', t, ['{"ResourcePath":']);
    expect(bad.hresult).toBe(HR.HCS_E_INVALID_JSON);
    await expectFail(
      t,
      { ResourcePath: 'VirtualMachine/Devices/Floppy/0', RequestType: 'Add', Settings: {} },
      HR.ERROR_INVALID_DATA,
      'unknown resource path "VirtualMachine/Devices/Floppy/0"',
    );
    await expectFail(t, { ResourcePath: 'Container/Memory/SizeInMB', Settings: 5 }, HR.ERROR_INVALID_DATA);
    await expectFail(
      t,
      { ...good, RequestType: 'Replace' },
      HR.E_INVALIDARG,
      /^invalid ModifySettingRequest: RequestType: /,
    );
    await expectFail(t, { ...good, Extra: 1 }, HR.E_INVALIDARG, /Extra/);
    await expectFail(t, [good], HR.E_INVALIDARG);
    await c.call('Pause', t);
    await expectFail(t, good, HR.HCS_E_INVALID_STATE);
    await c.call('Resume', t);
    await expectOk(t, good);
    await expectOk(t, { GuestRequest: { ResourceType: 'Network', RequestType: 'PreAdd', Settings: {} } });
    const log = await hcsd.control.modifyLog(id);
    expect(log).toEqual([
      good,
      { ResourcePath: 'VirtualMachine/Devices/Floppy/0', RequestType: 'Add', Settings: {} },
      { ResourcePath: 'Container/Memory/SizeInMB', Settings: 5 },
      { ...good, RequestType: 'Replace' },
      { ...good, Extra: 1 },
      [good],
      good,
      good,
      { GuestRequest: { ResourceType: 'Network', RequestType: 'PreAdd', Settings: {} } },
    ]);
    expect((await devices(id)).plan9Shares).toEqual([{ Name: 's', Path: '/s' }]);
    const ct = await c.running(`mod-${++n}`, { SchemaVersion: { Major: 2, Minor: 1 }, Container: {} });
    await expectFail(ct, good, HR.E_NOTIMPL);
    // the log survives teardown
    await c.call('Terminate', t);
    await c.call('Close', t);
    expect(await hcsd.control.modifyLog(id)).toHaveLength(9);
  });
});
