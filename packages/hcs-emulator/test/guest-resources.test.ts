import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, GuestHarness, NULL_ID, T } from './helpers/guest-host.js';

let h: GuestHarness;
beforeAll(async () => {
  h = await GuestHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

const i32 = (hr: number): number => hr | 0;
const OK = 0;
const E_FAIL = i32(0x80004005);
const E_INVALIDARG = i32(0x80070057);
const NOT_FOUND = i32(0x80070490);
const EXISTS = i32(0x800700b7);
const INVALID_JSON = i32(0xc037010d);
const INVALID_STATE = i32(0x80370105);
const SYSTEM_NOT_FOUND = i32(0xc037010e);
const SYSTEM_EXISTS = i32(0xc037010f);

const DEV = 'VirtualMachine/Devices';
/** A COSE_Sign1 envelope's shape: tag 18, an array of 4 (protected, unprotected, payload, signature). */
const COSE = Buffer.from([0xd2, 0x84, 0x40, 0xa0, 0x44, 0x72, 0x65, 0x67, 0x6f, 0x40]).toString('base64');
const SCSI0 = ScsiControllerGuids[0];
const NIC = '6d2f9c7a-1b7e-4d6a-9a5e-0c1d2e3f4a5b';
const PCI = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const scsi = (lun: number, controller = SCSI0) => ({
  ResourcePath: `${DEV}/Scsi/${controller}/Attachments/${lun}`,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: `C:\\d\\${lun}.vhdx` },
});
const scsiRemove = (lun: number, controller = SCSI0) => ({
  ResourcePath: `${DEV}/Scsi/${controller}/Attachments/${lun}`,
  RequestType: 'Remove',
});

async function result(b: Bridge, request: unknown, containerId = NULL_ID): Promise<number> {
  const f = await b.modify(request, containerId);
  return f.json?.Result as number;
}

const mvd = (RequestType: string, Settings: Record<string, unknown>) => ({
  ResourceType: 'MappedVirtualDisk',
  RequestType,
  Settings,
});

describe('MappedVirtualDisk and SCSIDevice', () => {
  it('consistency: controller range, duplicate mount path, mismatched remove, wrong field types', async () => {
    const { b, t, id } = await h.connected();
    await h.hostModify(t, scsi(1));
    expect(await result(b, mvd('Add', { MountPath: '/m/a', Controller: 4, Lun: 1 }))).toBe(E_INVALIDARG);
    expect(await result(b, mvd('Add', { MountPath: 'relative', Lun: 1 }))).toBe(E_INVALIDARG);
    expect(await result(b, mvd('Add', { MountPath: '/m/../etc', Lun: 1 }))).toBe(E_INVALIDARG);
    expect(await result(b, mvd('Add', { MountPath: '/m/a', Lun: 'one' }))).toBe(INVALID_JSON);
    expect(await result(b, mvd('Add', { MountPath: '/m/a', Lun: 300 }))).toBe(INVALID_JSON);
    expect(await result(b, mvd('Add', { MountPath: '/m/a/', Lun: 1 }))).toBe(OK);
    expect(await result(b, mvd('Add', { MountPath: '/m/a', Lun: 1 }))).toBe(EXISTS);
    expect(await result(b, mvd('Remove', { MountPath: '/m/a', Lun: 2 }))).toBe(NOT_FOUND);
    // §10: the Linux GCS's Remove of something that is not there succeeds (was ERROR_NOT_FOUND)
    expect(await result(b, mvd('Remove', { MountPath: '/m/zzz', Lun: 1 }))).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.mappedVirtualDisks.map((d) => d.MountPath)).toEqual([
      '/m/a',
    ]);
    // An empty RequestType means Add.
    expect(await result(b, mvd('', { MountPath: '/m/b', Lun: 1, Partition: 2 }))).toBe(OK);
    expect(await result(b, mvd('Remove', { MountPath: '/m/b', Lun: 1 }))).toBe(OK);
    expect(await result(b, mvd('Remove', { MountPath: '/m/a', Lun: 1 }))).toBe(OK);
    b.close();
  });

  it('SCSIDevice Remove: only once nothing is mounted from it; then the disk is gone for the guest until re-added', async () => {
    const { b, t, id } = await h.connected();
    await h.hostModify(t, scsi(2));
    const dev = { ResourceType: 'SCSIDevice', RequestType: 'Remove', Settings: { Controller: 0, Lun: 2 } };
    expect(await result(b, mvd('Add', { MountPath: '/m/x', Lun: 2 }))).toBe(OK);
    expect(await result(b, dev)).toBe(INVALID_STATE);
    expect(await result(b, { ...dev, RequestType: 'Add' })).toBe(E_FAIL);
    expect(await result(b, mvd('Remove', { MountPath: '/m/x', Lun: 2 }))).toBe(OK);
    expect(await result(b, dev)).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.unpluggedScsi).toEqual([{ Controller: 0, Lun: 2 }]);
    expect(await result(b, dev)).toBe(NOT_FOUND);
    expect(await result(b, mvd('Add', { MountPath: '/m/x', Lun: 2 }))).toBe(NOT_FOUND);
    // The host removes and re-adds the disk: the guest sees it again.
    await h.hostModify(t, scsiRemove(2));
    expect((await h.hcsd.control.guest(id)).table.unpluggedScsi).toEqual([]);
    await h.hostModify(t, scsi(2));
    expect(await result(b, mvd('Add', { MountPath: '/m/x', Lun: 2 }))).toBe(OK);
    b.close();
  });

  it('a mount whose disk the host removed first stays in the table with hostAttached false', async () => {
    const { b, t, id } = await h.connected();
    await h.hostModify(t, scsi(4));
    expect(await result(b, mvd('Add', { MountPath: '/m/y', Lun: 4 }))).toBe(OK);
    await h.hostModify(t, scsiRemove(4));
    const g = await h.hcsd.control.guest(id);
    expect(g.table.mappedVirtualDisks.map((d) => [d.MountPath, d.hostAttached])).toEqual([['/m/y', false]]);
    expect(await result(b, mvd('Remove', { MountPath: '/m/y', Lun: 4 }))).toBe(OK);
    b.close();
  });
});

describe('MappedDirectory (Plan 9)', () => {
  const share = { Name: 'share1', AccessName: 'acc1', Path: '/srv/share1', Port: 564, Flags: 0 };
  const dir = (RequestType: string, Settings: Record<string, unknown>) => ({
    ResourceType: 'MappedDirectory',
    RequestType,
    Settings,
  });

  it('needs a Plan 9 share the host added (Name or AccessName) on its port', async () => {
    const { b, t, id } = await h.connected();
    expect(await result(b, dir('Add', { MountPath: '/p/1', Port: 564, ShareName: 'share1' }))).toBe(
      NOT_FOUND,
    );
    await h.hostModify(t, { ResourcePath: `${DEV}/Plan9/Shares`, RequestType: 'Add', Settings: share });
    expect(await result(b, dir('Add', { MountPath: '/p/1', Port: 565, ShareName: 'share1' }))).toBe(
      NOT_FOUND,
    );
    expect(await result(b, dir('Add', { MountPath: '/p/1', Port: 564, ShareName: '' }))).toBe(E_INVALIDARG);
    expect(
      await result(b, dir('Add', { MountPath: '/p/1', Port: 564, ShareName: 'share1', ReadOnly: true })),
    ).toBe(OK);
    expect(await result(b, dir('Add', { MountPath: '/p/2', Port: 564, ShareName: 'acc1' }))).toBe(OK);
    expect(await result(b, dir('Add', { MountPath: '/p/2', Port: 564, ShareName: 'acc1' }))).toBe(EXISTS);
    expect((await h.hcsd.control.guest(id)).table.mappedDirectories).toEqual([
      { MountPath: '/p/1', ShareName: 'share1', Port: 564, HostPath: '', ReadOnly: true },
      { MountPath: '/p/2', ShareName: 'acc1', Port: 564, HostPath: '', ReadOnly: false },
    ]);
    expect(await result(b, dir('Remove', { MountPath: '/p/1' }))).toBe(OK);
    // §10: a Remove of a directory that is not mounted succeeds (was ERROR_NOT_FOUND)
    expect(await result(b, dir('Remove', { MountPath: '/p/1' }))).toBe(OK);
    expect(await result(b, dir('Update', { MountPath: '/p/2' }))).toBe(E_FAIL);
    b.close();
  });
});

describe('VPMemDevice', () => {
  const vp = (RequestType: string, Settings: Record<string, unknown>) => ({
    ResourceType: 'VPMemDevice',
    RequestType,
    Settings,
  });
  const image = { HostPath: '/layers/a.vhd', ReadOnly: true, ImageFormat: 'Vhd1' };

  it('needs an added device (and mapping, with MappingInfo); removes by mount path', async () => {
    const { b, t, id } = await h.connected();
    expect(await result(b, vp('Add', { DeviceNumber: 0, MountPath: '/run/layers/p0' }))).toBe(NOT_FOUND);
    await h.hostModify(t, {
      ResourcePath: `${DEV}/VirtualPMem/Devices/0`,
      RequestType: 'Add',
      Settings: image,
    });
    expect(await result(b, vp('Add', { DeviceNumber: 0, MountPath: '/run/layers/p0' }))).toBe(OK);
    const mapped = {
      DeviceNumber: 0,
      MountPath: '/run/layers/p0m',
      MappingInfo: { DeviceOffsetInBytes: 4096, DeviceSizeInBytes: 8192 },
    };
    expect(await result(b, vp('Add', mapped))).toBe(NOT_FOUND);
    await h.hostModify(t, {
      ResourcePath: `${DEV}/VirtualPMem/Devices/0/Mappings/4096`,
      RequestType: 'Add',
      Settings: { HostPath: '/m.vhd', ImageFormat: 'Vhd1' },
    });
    expect(await result(b, vp('Add', mapped))).toBe(OK);
    expect(await result(b, vp('Add', { DeviceNumber: 0, MountPath: '/run/layers/p0' }))).toBe(EXISTS);
    expect((await h.hcsd.control.guest(id)).table.vpmemDevices).toEqual([
      { DeviceNumber: 0, MountPath: '/run/layers/p0', MappingInfo: null, hostAttached: true },
      {
        DeviceNumber: 0,
        MountPath: '/run/layers/p0m',
        MappingInfo: { DeviceOffsetInBytes: 4096, DeviceSizeInBytes: 8192 },
        hostAttached: true,
      },
    ]);
    expect(await result(b, vp('Remove', { DeviceNumber: 1, MountPath: '/run/layers/p0' }))).toBe(NOT_FOUND);
    expect(await result(b, vp('Remove', { DeviceNumber: 0, MountPath: '/run/layers/p0' }))).toBe(OK);
    expect(await result(b, vp('Remove', { DeviceNumber: 0, MountPath: '/run/layers/p0m' }))).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.vpmemDevices).toEqual([]);
    b.close();
  });
});

describe('VPCIDevice', () => {
  it('Add only, for a device the host assigned; duplicates rejected', async () => {
    const { b, t, id } = await h.connected();
    const add = { ResourceType: 'VPCIDevice', RequestType: 'Add', Settings: { VMBusGUID: PCI } };
    expect(await result(b, add)).toBe(NOT_FOUND);
    await h.hostModify(t, {
      ResourcePath: `${DEV}/VirtualPci/${PCI}`,
      RequestType: 'Add',
      Settings: { Functions: [{ DeviceInstancePath: 'PCIP\\VEN_1234&DEV_5678\\1' }] },
    });
    expect(await result(b, { ...add, Settings: { VMBusGUID: 'nope' } })).toBe(E_INVALIDARG);
    expect(await result(b, { ...add, Settings: { VMBusGUID: PCI.toUpperCase() } })).toBe(OK);
    expect(await result(b, add)).toBe(EXISTS);
    expect(await result(b, { ...add, RequestType: 'Remove' })).toBe(E_FAIL);
    expect((await h.hcsd.control.guest(id)).table.vpciDevices).toEqual([{ VMBusGUID: PCI.toUpperCase() }]);
    b.close();
  });
});

describe('Network', () => {
  const net = (RequestType: string, Settings: Record<string, unknown>) => ({
    ResourceType: 'Network',
    RequestType,
    Settings,
  });
  const adapter = {
    NamespaceID: 'ns1',
    ID: NIC,
    MacAddress: '00-15-5D-01-02-03',
    IPConfigs: [{ IPAddress: '10.0.0.2', PrefixLength: 24 }],
    Routes: [{ NextHop: '10.0.0.1', DestinationPrefix: '0.0.0.0/0', Metric: 1 }],
  };

  it('Add needs the host NIC (unless VPCIAssigned); Remove of an absent one succeeds', async () => {
    const { b, t, id } = await h.connected();
    expect(await result(b, net('Add', adapter))).toBe(NOT_FOUND);
    await h.hostModify(t, {
      ResourcePath: `${DEV}/NetworkAdapters/${NIC}`,
      RequestType: 'Add',
      Settings: { EndpointId: NIC, MacAddress: '00-15-5D-01-02-03' },
    });
    expect(
      await result(b, net('Add', { ...adapter, IPConfigs: [{ IPAddress: '10.0.0.2', PrefixLength: 999 }] })),
    ).toBe(INVALID_JSON);
    expect(await result(b, net('Add', adapter))).toBe(OK);
    expect(await result(b, net('Add', adapter))).toBe(EXISTS);
    expect(await result(b, net('Add', { NamespaceID: 'ns2', ID: 'vf-1', VPCIAssigned: true }))).toBe(OK);
    const g = await h.hcsd.control.guest(id);
    expect(g.table.networkNamespaces).toEqual([{ ID: 'ns1' }, { ID: 'ns2' }]);
    expect(g.table.networkAdapters.map((a) => [a.NamespaceID, a.ID])).toEqual([
      ['ns1', NIC],
      ['ns2', 'vf-1'],
    ]);
    // §10: Remove of an interface that is not there succeeds and changes nothing (was ERROR_NOT_FOUND)
    expect(await result(b, net('Remove', { NamespaceID: 'nsX', ID: NIC }))).toBe(OK);
    expect(await result(b, net('Remove', { NamespaceID: 'ns2', ID: NIC }))).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.networkAdapters).toHaveLength(2);
    expect(await result(b, net('Remove', { NamespaceID: 'ns1', ID: NIC }))).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.networkAdapters.map((a) => a.ID)).toEqual(['vf-1']);
    b.close();
  });
});

describe('CombinedLayers', () => {
  const layers = (RequestType: string, Settings: Record<string, unknown>) => ({
    ResourceType: 'CombinedLayers',
    RequestType,
    Settings,
  });

  it('layers and scratch must be on guest mounts; mounts in use cannot be removed', async () => {
    const { b, t, id } = await h.connected();
    await h.hostModify(t, scsi(0));
    await h.hostModify(t, {
      ResourcePath: `${DEV}/VirtualPMem/Devices/1`,
      RequestType: 'Add',
      Settings: { HostPath: '/l.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
    });
    expect(
      await result(b, {
        ResourceType: 'VPMemDevice',
        RequestType: 'Add',
        Settings: { DeviceNumber: 1, MountPath: '/run/layers/p1' },
      }),
    ).toBe(OK);
    expect(await result(b, mvd('Add', { MountPath: '/run/mounts/scratch', Lun: 0 }))).toBe(OK);
    const good = {
      ContainerID: 'c1',
      ContainerRootPath: '/run/gcs/c/c1/rootfs',
      Layers: [{ Path: '/run/layers/p1' }],
      ScratchPath: '/run/mounts/scratch/c1',
    };
    expect(await result(b, layers('Add', { ...good, Layers: [] }))).toBe(E_INVALIDARG);
    expect(await result(b, layers('Add', { ...good, Layers: [{ Path: '/run/layers/p9' }] }))).toBe(NOT_FOUND);
    expect(await result(b, layers('Add', { ...good, ScratchPath: '/tmp/scratch' }))).toBe(NOT_FOUND);
    expect(await result(b, layers('Add', good))).toBe(OK);
    expect(await result(b, layers('Add', good))).toBe(EXISTS);
    expect(
      await result(b, {
        ResourceType: 'VPMemDevice',
        RequestType: 'Remove',
        Settings: { DeviceNumber: 1, MountPath: '/run/layers/p1' },
      }),
    ).toBe(INVALID_STATE);
    expect(await result(b, mvd('Remove', { MountPath: '/run/mounts/scratch', Lun: 0 }))).toBe(INVALID_STATE);
    expect((await h.hcsd.control.guest(id)).table.combinedLayers).toEqual([
      {
        ContainerID: 'c1',
        ContainerRootPath: '/run/gcs/c/c1/rootfs',
        Layers: ['/run/layers/p1'],
        ScratchPath: '/run/mounts/scratch/c1',
        FilterType: '',
      },
    ]);
    expect(await result(b, layers('Remove', { ContainerRootPath: '/run/gcs/c/c1/rootfs' }))).toBe(OK);
    // §10: Remove of layers that are not combined succeeds (was ERROR_NOT_FOUND)
    expect(await result(b, layers('Remove', { ContainerRootPath: '/run/gcs/c/c1/rootfs' }))).toBe(OK);
    expect(await result(b, mvd('Remove', { MountPath: '/run/mounts/scratch', Lun: 0 }))).toBe(OK);
    b.close();
  });
});

describe('security policy, memory, unsupported types', () => {
  it('SecurityPolicy once; fragments; PodCgroupMemoryLimit Update; WCOW-only types are E_FAIL on Linux', async () => {
    const { b, id } = await h.connected();
    const policy = { EnforcerType: 'rego', EncodedSecurityPolicy: 'cGFja2FnZSBwb2xpY3k=' };
    expect(
      await result(b, {
        ResourceType: 'SecurityPolicy',
        RequestType: 'Add',
        Settings: { EncodedSecurityPolicy: '!!' },
      }),
    ).toBe(E_FAIL);
    expect(await result(b, { ResourceType: 'SecurityPolicy', RequestType: 'Add', Settings: policy })).toBe(
      OK,
    );
    expect(await result(b, { ResourceType: 'SecurityPolicy', RequestType: 'Add', Settings: policy })).toBe(
      E_FAIL,
    );
    expect(
      await result(b, {
        ResourceType: 'SecurityPolicyFragment',
        RequestType: 'Add',
        Settings: { Fragment: '' },
      }),
    ).toBe(E_INVALIDARG);
    // §10: a junk fragment fails COSE validation with E_FAIL (was accepted)
    expect(
      await result(b, {
        ResourceType: 'SecurityPolicyFragment',
        RequestType: 'Add',
        Settings: { Fragment: 'ZnJhZw==' },
      }),
    ).toBe(E_FAIL);
    expect(
      await result(b, {
        ResourceType: 'SecurityPolicyFragment',
        RequestType: 'Add',
        Settings: { Fragment: COSE, MediaType: 'text/plain' },
      }),
    ).toBe(E_FAIL);
    expect(
      await result(b, {
        ResourceType: 'SecurityPolicyFragment',
        RequestType: 'Add',
        Settings: { Fragment: COSE },
      }),
    ).toBe(OK);
    expect(await result(b, { ResourceType: 'PodCgroupMemoryLimit', RequestType: 'Update' })).toBe(OK);
    expect(await result(b, { ResourceType: 'PodCgroupMemoryLimit', RequestType: 'Add' })).toBe(E_FAIL);
    for (const rt of [
      'HvSocket',
      'WCOWBlockCims',
      'NetworkNamespace',
      'MappedVirtualDiskForContainerScratch',
      'ContainerConstraints',
    ])
      expect(
        await result(b, {
          ResourceType: rt,
          RequestType: rt === 'HvSocket' ? 'Update' : 'Add',
          Settings: {},
        }),
        rt,
      ).toBe(E_FAIL);
    const g = await h.hcsd.control.guest(id);
    expect(g.table.securityPolicy).toEqual({
      EnforcerType: 'rego',
      EncodedSecurityPolicy: 'cGFja2FnZSBwb2xpY3k=',
      EncodedUVMReference: '',
      EncodedUVMHashEnvelopeReference: '',
    });
    expect(g.table.policyFragments).toEqual([{ Fragment: COSE, MediaType: 'application/cose-x509+rego' }]);
    expect(g.table.cgroupMemoryUpdates).toBe(1);
    b.close();
  });

  it('a request that is not JSON → 0xC037010D; Settings that is not an object → 0xC037010D', async () => {
    const { b } = await h.connected();
    const id = b.send(T.ModifySettings, undefined);
    b.socket.write(Buffer.alloc(0));
    const raw = await b.next((f) => f.id === id);
    expect(raw.json?.Result).toBe(INVALID_JSON);
    expect(raw.json).not.toHaveProperty('ActivityId');
    expect(await result(b, mvd('Add', 5 as unknown as Record<string, unknown>))).toBe(INVALID_JSON);
    b.close();
  });
});

describe('decoding with the guest request schemas of @uvmkit/hcs-schema', () => {
  const message = async (b: Bridge, request: unknown): Promise<[number, unknown]> => {
    const f = await b.modify(request);
    return [f.json?.Result as number, f.json?.ErrorMessage];
  };

  it('a field of the wrong Go type fails 0xC037010D naming the field and the type, before anything is checked', async () => {
    const { b } = await h.connected();
    expect(await message(b, mvd('Add', { MountPath: '/m/a', Lun: 'one' }))).toEqual([
      INVALID_JSON,
      'Settings.Lun: cannot unmarshal into uint8',
    ]);
    expect(await message(b, mvd('Add', { MountPath: '/m/a', Options: ['ro', 1] }))).toEqual([
      INVALID_JSON,
      'Settings.Options: cannot unmarshal into []string',
    ]);
    expect(
      await message(b, {
        ResourceType: 'Network',
        RequestType: 'Add',
        Settings: { IPConfigs: [{ PrefixLength: 300 }] },
      }),
    ).toEqual([INVALID_JSON, 'Settings.IPConfigs.0.PrefixLength: cannot unmarshal into uint8']);
    expect(
      await message(b, { ResourceType: 'CombinedLayers', RequestType: 'Add', Settings: { Layers: ['x'] } }),
    ).toEqual([INVALID_JSON, 'Settings.Layers.0: expected a JSON object']);
    expect(
      await message(b, { ResourceType: 'VPMemDevice', RequestType: 'Add', Settings: { MappingInfo: 1 } }),
    ).toEqual([INVALID_JSON, 'Settings.MappingInfo: cannot unmarshal into object']);
    expect(await message(b, mvd('Add', 5 as unknown as Record<string, unknown>))).toEqual([
      INVALID_JSON,
      'Settings: expected a JSON object',
    ]);
    expect(await message(b, { ResourceType: 7, RequestType: 'Add' })).toEqual([
      INVALID_JSON,
      'Request.ResourceType: cannot unmarshal into string',
    ]);
    // null is a zero value; unknown fields are ignored: the request reaches the resource's own rules
    expect(await message(b, mvd('Add', { MountPath: null, Lun: null, Extra: {} }))).toEqual([
      E_INVALIDARG,
      'MountPath is required',
    ]);
    b.close();
  });

  it('Create / ExecuteProcess / WaitForProcess / SignalProcess / ResizeConsole: checked by their schemas', async () => {
    const { b } = await h.connected();
    const base = { ContainerId: NULL_ID, ActivityId: NULL_ID };
    const wait = await b.call(0x10100601, { ...base, ProcessId: -1 });
    expect([wait.json?.Result, wait.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'request.ProcessId: cannot unmarshal into uint32',
    ]);
    const resize = await b.call(0x10100801, { ...base, ProcessId: 1, Height: 70000, Width: 80 });
    expect([resize.json?.Result, resize.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'request.Height: cannot unmarshal into uint16',
    ]);
    const exec = (settings: unknown) => b.call(0x10100501, { ...base, Settings: settings });
    const env = await exec({
      ProcessParameters: JSON.stringify({ CommandArgs: ['true'], Environment: { A: 1 } }),
    });
    expect([env.json?.Result, env.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'ProcessParameters.Environment.A: cannot unmarshal into string',
    ]);
    const size = await exec({
      ProcessParameters: JSON.stringify({ CommandArgs: ['true'], ConsoleSize: [24, 'x'] }),
    });
    expect(size.json?.ErrorMessage).toBe('ProcessParameters.ConsoleSize: cannot unmarshal into [2]uint');
    const relay = await exec({ ProcessParameters: '{}', VsockStdioRelaySettings: { StdIn: -1 } });
    expect([relay.json?.Result, relay.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'Settings.VsockStdioRelaySettings.StdIn: cannot unmarshal into uint32',
    ]);
    const create = await b.call(0x10100101, {
      ContainerId: 'c-schema',
      ActivityId: NULL_ID,
      ContainerConfig: JSON.stringify({
        SchemaVersion: { Major: 2, Minor: '1' },
        OciSpecification: { linux: {} },
      }),
    });
    expect([create.json?.Result, create.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'ContainerConfig.SchemaVersion.Minor: cannot unmarshal into uint32',
    ]);
    const signal = await b.call(0x10100701, { ...base, ProcessId: 'one' });
    expect([signal.json?.Result, signal.json?.ErrorMessage]).toEqual([
      INVALID_JSON,
      'request.ProcessId: cannot unmarshal into uint32',
    ]);
    b.close();
  });
});

describe('containers', () => {
  it('Create (schema ≥ 2.1), ContainerConstraints, Shutdown, DeleteContainerState, GetProperties', async () => {
    const { b, id } = await h.connected();
    const base = { ContainerId: 'c1', ActivityId: NULL_ID };
    const spec = { ociVersion: '1.1.0', process: { args: ['sleep', '60'], cwd: '/' }, linux: {} };
    const cfg = (minor: number, oci: unknown = spec) =>
      JSON.stringify({
        SchemaVersion: { Major: 2, Minor: minor },
        OciBundlePath: '/run/gcs/c/c1',
        OciSpecification: oci,
      });
    expect((await b.call(T.Create, { ...base, ContainerConfig: cfg(0) })).json?.Result).toBe(INVALID_JSON);
    expect((await b.call(T.Create, { ...base, ContainerConfig: '{' })).json?.Result).toBe(INVALID_JSON);
    // §10: a spec without a `linux` section is refused (the real GCS panics: the gcsPanics fault)
    const noLinux = await b.call(T.Create, { ...base, ContainerConfig: cfg(1, { process: spec.process }) });
    expect(noLinux.json?.Result).toBe(E_FAIL);
    expect(String(noLinux.json?.ErrorMessage)).toContain('no "linux" section');
    // Start of an unknown container succeeds, as on the Linux GCS (was 0xC037010E)
    expect((await b.call(T.Start, { ...base, ContainerId: 'nope' })).json?.Result).toBe(OK);
    const created = await b.call(T.Create, { ...base, ContainerConfig: cfg(1) });
    expect(created.json).toEqual({ Result: 0, ActivityId: NULL_ID, SelectedProtocolVersion: 0 });
    expect((await b.call(T.Create, { ...base, ContainerConfig: cfg(1) })).json?.Result).toBe(SYSTEM_EXISTS);
    expect((await b.call(T.Start, base)).json?.Result).toBe(OK);
    const constraints = {
      ResourceType: 'ContainerConstraints',
      RequestType: 'Update',
      Settings: { Linux: { CPU: { Shares: 2 } } },
    };
    expect(await result(b, constraints, 'c1')).toBe(OK);
    expect(await result(b, constraints, 'c2')).toBe(SYSTEM_NOT_FOUND);
    expect(await result(b, mvd('Add', { MountPath: '/x', Lun: 0 }), 'c1')).toBe(E_FAIL);
    expect(await result(b, constraints)).toBe(E_FAIL);
    const props = await b.call(T.GetProperties, {
      ...base,
      Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }),
    });
    expect(props.json).toEqual({ Result: 0, ActivityId: NULL_ID, Properties: '{"ProcessList":[]}' });
    expect((await b.call(T.GetProperties, { ContainerId: NULL_ID, ActivityId: NULL_ID })).json?.Result).toBe(
      E_FAIL,
    );
    expect((await b.call(T.DeleteContainerState, base)).json?.Result).toBe(INVALID_STATE);
    expect((await b.call(T.ShutdownForced, base)).json?.Result).toBe(OK);
    expect((await h.hcsd.control.guest(id)).table.containers).toEqual([
      {
        id: 'c1',
        state: 'Exited',
        constraints: [{ Linux: { CPU: { Shares: 2 } } }],
        initPid: expect.any(Number),
        exitType: 'ForcedExit',
      },
    ]);
    expect((await b.call(T.DeleteContainerState, base)).json?.Result).toBe(OK);
    expect((await b.call(T.DeleteContainerState, base)).json?.Result).toBe(SYSTEM_NOT_FOUND);
    const stacks = await b.call(T.DumpStacks, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    expect(stacks.json?.Result).toBe(0);
    expect(typeof stacks.json?.GuestStacks).toBe('string');
    b.close();
  });

  it('ShutdownForced of the null container powers the VM off without a reply', async () => {
    const { b, id } = await h.connected();
    const sent = b.send(T.ShutdownForced, { ContainerId: NULL_ID, ActivityId: NULL_ID });
    await b.closed;
    expect(b.frames.filter((f) => f.id === sent && f.type === 0x20100401)).toEqual([]);
    const sys = await h.hcsd.control.system(id);
    expect(sys.state).toBe('Stopped');
    expect(sys.exit).toMatchObject({ ExitType: 'ForcedExit' });
    expect((await h.hcsd.control.guest(id)).active).toBe(false);
  });
});
