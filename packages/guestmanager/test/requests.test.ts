/**
 * Every guest request of gcs-protocol.md §5 (LCOW and WCOW), DumpStacks and DeleteContainerState:
 * the exact ModifySettings document the guest receives, and argument validation before sending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HcsError, UtilityVM } from '@uvmkit/hcs-core';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest } from '../src/guest.js';
import { FakeGuest } from './helpers/fake-guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-req-'));
const NULL_ID = '00000000-0000-0000-0000-000000000000';
const G1 = '0b1c8a0e-3f5c-4b62-9a21-6d5b0c7e3a11';
const G2 = 'a5a1c2d3-0000-4b62-9a21-6d5b0c7e3a12';
let hcsd: HcsdProcess;
let vm: UtilityVM;
let guest: Guest;
let fake: FakeGuest;

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
  vm = await UtilityVM.create(uniqueSystemId('gmreq'), lcowDocument({ guestConnection: false }));
  guest = new Guest(vm);
  await guest.prepareConnection();
  await vm.start();
  fake = await FakeGuest.dial(
    hvsocketPath({ vmId: vm.runtimeId, serviceId: '40000000-facb-11e6-bd58-64006a7986d3' }, dir),
    (req, g) => {
      if ((req.type & 0xfffffff) === 0x00100c01) return { GuestStacks: 'goroutine 1 [running]:' };
      if ((req.type & 0xfffffff) === 0x00100d01) return {};
      return g.defaultAnswer(req);
    },
  );
  await guest.createConnection();
});
afterAll(async () => {
  await guest.closeConnection();
  await vm.terminate();
  await vm.close();
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Send and return the request the fake guest received. */
async function sent(call: () => Promise<unknown>) {
  const before = fake.received.length;
  await call();
  const r = fake.received[before];
  expect(fake.received.length).toBe(before + 1);
  return r!;
}

async function modify(call: () => Promise<unknown>) {
  const r = await sent(call);
  expect(r.type).toBe(0x10100a01);
  expect(r.body.ContainerId).toBe(NULL_ID);
  expect(r.body.ActivityId).toBe(NULL_ID);
  return r.body.Request;
}

describe('request documents', () => {
  it('SCSI: MappedVirtualDisk (LCOW omitempty: Controller/Lun 0 left out), WCOW, scratch, SCSIDevice', async () => {
    expect(
      await modify(() => guest.addMappedVirtualDisk({ MountPath: '/run/mounts/m0', Controller: 0, Lun: 0 })),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedVirtualDisk',
      Settings: { MountPath: '/run/mounts/m0' },
    });
    expect(
      await modify(() =>
        guest.addMappedVirtualDisk({
          MountPath: '/run/mounts/m1',
          Controller: 1,
          Lun: 5,
          ReadOnly: true,
          Options: ['noatime'],
          Filesystem: 'ext4',
          EnsureFilesystem: true,
        }),
      ),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedVirtualDisk',
      Settings: {
        MountPath: '/run/mounts/m1',
        Lun: 5,
        Controller: 1,
        ReadOnly: true,
        Options: ['noatime'],
        EnsureFilesystem: true,
        Filesystem: 'ext4',
      },
    });
    expect(
      await modify(() =>
        guest.removeMappedVirtualDisk({ MountPath: '/run/mounts/m1', Controller: 1, Lun: 5 }),
      ),
    ).toEqual({
      RequestType: 'Remove',
      ResourceType: 'MappedVirtualDisk',
      Settings: { MountPath: '/run/mounts/m1', Lun: 5, Controller: 1 },
    });
    expect(
      await modify(() => guest.addMappedVirtualDiskWcow({ ContainerPath: 'C:\\mounts\\d', Lun: 0 })),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedVirtualDisk',
      Settings: { ContainerPath: 'C:\\mounts\\d', Lun: 0 },
    });
    expect(
      await modify(() => guest.removeMappedVirtualDiskWcow({ ContainerPath: 'C:\\mounts\\d', Lun: 0 })),
    ).toMatchObject({
      RequestType: 'Remove',
    });
    expect(
      await modify(() => guest.addMappedVirtualDiskForContainerScratch({ ContainerPath: 'C:\\s', Lun: 2 })),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedVirtualDiskForContainerScratch',
      Settings: { ContainerPath: 'C:\\s', Lun: 2 },
    });
    expect(await modify(() => guest.removeSCSIDevice({ Controller: 0, Lun: 3 }))).toEqual({
      RequestType: 'Remove',
      ResourceType: 'SCSIDevice',
      Settings: { Controller: 0, Lun: 3 },
    });
  });

  it('MappedDirectory (Plan 9 port 564 by default; WCOW form), VPMem, VPCI', async () => {
    expect(
      await modify(() =>
        guest.addMappedDirectory({ MountPath: '/run/p9', ShareName: 'share0', ReadOnly: true }),
      ),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedDirectory',
      Settings: { MountPath: '/run/p9', Port: 564, ShareName: 'share0', ReadOnly: true },
    });
    expect(
      await modify(() =>
        guest.removeMappedDirectory({ MountPath: '/run/p9', ShareName: 'share0', Port: 600 }),
      ),
    ).toEqual({
      RequestType: 'Remove',
      ResourceType: 'MappedDirectory',
      Settings: { MountPath: '/run/p9', Port: 600, ShareName: 'share0' },
    });
    expect(
      await modify(() =>
        guest.addMappedDirectoryWcow({
          HostPath: 'C:\\host',
          ContainerPath: 'C:\\guest',
          HostPathType: 'AbsolutePath',
        }),
      ),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'MappedDirectory',
      Settings: { HostPath: 'C:\\host', HostPathType: 'AbsolutePath', ContainerPath: 'C:\\guest' },
    });
    expect(
      await modify(() =>
        guest.removeMappedDirectoryWcow({ HostPath: 'C:\\host', ContainerPath: 'C:\\guest' }),
      ),
    ).toMatchObject({
      RequestType: 'Remove',
    });
    expect(
      await modify(() =>
        guest.addVPMemDevice({
          DeviceNumber: 3,
          MountPath: '/run/layers/p3',
          MappingInfo: { DeviceOffsetInBytes: 4096, DeviceSizeInBytes: 8192 },
        }),
      ),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'VPMemDevice',
      Settings: {
        DeviceNumber: 3,
        MountPath: '/run/layers/p3',
        MappingInfo: { DeviceOffsetInBytes: 4096, DeviceSizeInBytes: 8192 },
      },
    });
    expect(
      await modify(() => guest.removeVPMemDevice({ DeviceNumber: 3, MountPath: '/run/layers/p3' })),
    ).toEqual({
      RequestType: 'Remove',
      ResourceType: 'VPMemDevice',
      Settings: { DeviceNumber: 3, MountPath: '/run/layers/p3' },
    });
    expect(await modify(() => guest.addVPCIDevice({ VMBusGUID: G1 }))).toEqual({
      RequestType: 'Add',
      ResourceType: 'VPCIDevice',
      Settings: { VMBusGUID: G1 },
    });
  });

  it('Network (LCOW adapter; WCOW PreAdd/Add under an outer Add, Remove), NetworkNamespace', async () => {
    const adapter = {
      NamespaceID: G1,
      ID: G2,
      MacAddress: '00-15-5D-01-02-03',
      DNSServerList: '10.0.0.1,10.0.0.2',
      IPConfigs: [{ IPAddress: '10.0.0.5', PrefixLength: 24 }],
      Routes: [{ NextHop: '10.0.0.1', DestinationPrefix: '0.0.0.0/0', Metric: 10 }],
      EncapOverhead: 50,
    };
    expect(await modify(() => guest.addNetworkInterface(adapter))).toEqual({
      RequestType: 'Add',
      ResourceType: 'Network',
      Settings: adapter,
    });
    expect(await modify(() => guest.removeNetworkInterface(adapter))).toMatchObject({
      RequestType: 'Remove',
      ResourceType: 'Network',
    });
    const endpoint = { ID: G2, Name: 'ep' };
    expect(await modify(() => guest.preAddNetworkInterfaceWcow(G2, endpoint))).toEqual({
      RequestType: 'Add',
      ResourceType: 'Network',
      Settings: { AdapterId: G2, RequestType: 'PreAdd', Settings: endpoint },
    });
    expect(await modify(() => guest.addNetworkInterfaceWcow(G2, endpoint))).toEqual({
      RequestType: 'Add',
      ResourceType: 'Network',
      Settings: { AdapterId: G2, RequestType: 'Add', Settings: endpoint },
    });
    expect(await modify(() => guest.removeNetworkInterfaceWcow(G2))).toEqual({
      RequestType: 'Remove',
      ResourceType: 'Network',
      Settings: { AdapterId: G2, RequestType: 'Remove' },
    });
    expect(await modify(() => guest.addNetworkNamespace({ ID: G1, Type: 'HostDefault' }))).toEqual({
      RequestType: 'Add',
      ResourceType: 'NetworkNamespace',
      Settings: { ID: G1, Type: 'HostDefault' },
    });
    expect(await modify(() => guest.removeNetworkNamespace({ ID: G1 }))).toMatchObject({
      RequestType: 'Remove',
    });
  });

  it('CombinedLayers (LCOW, WCOW, CWCOW), HvSocket, SecurityPolicy (+fragment), WCOWBlockCims, PodCgroupMemoryLimit', async () => {
    const lcow = {
      ContainerID: 'c1',
      ContainerRootPath: '/run/gcs/c/c1/rootfs',
      Layers: [{ Path: '/run/layers/p0' }],
      ScratchPath: '/run/gcs/c/c1/scratch',
    };
    expect(await modify(() => guest.addCombinedLayers(lcow))).toEqual({
      RequestType: 'Add',
      ResourceType: 'CombinedLayers',
      Settings: lcow,
    });
    expect(await modify(() => guest.removeCombinedLayers(lcow))).toMatchObject({ RequestType: 'Remove' });
    const wcow = {
      ContainerRootPath: 'C:\\c1',
      Layers: [{ Id: G1, Path: 'C:\\layers\\l0' }],
      FilterType: 'WCIFS' as const,
    };
    expect(await modify(() => guest.addCombinedLayersWcow(wcow))).toEqual({
      RequestType: 'Add',
      ResourceType: 'CombinedLayers',
      Settings: wcow,
    });
    expect(await modify(() => guest.removeCombinedLayersWcow(wcow))).toMatchObject({ RequestType: 'Remove' });
    expect(await modify(() => guest.addCombinedLayersCwcow('c1', wcow))).toEqual({
      RequestType: 'Add',
      ResourceType: 'CWCOWCombinedLayers',
      Settings: { ContainerID: 'c1', CombinedLayers: wcow },
    });
    expect(await modify(() => guest.removeCombinedLayersCwcow('c1', wcow))).toMatchObject({
      RequestType: 'Remove',
    });
    expect(await modify(() => guest.updateHvSocketAddress({ LocalAddress: vm.runtimeId }))).toEqual({
      RequestType: 'Update',
      ResourceType: 'HvSocket',
      Settings: { LocalAddress: vm.runtimeId, ParentAddress: '894cc2d6-9d79-424f-93fe-42969ae6d8d1' },
    });
    expect(
      await modify(() =>
        guest.addSecurityPolicy({ EnforcerType: 'rego', EncodedSecurityPolicy: 'cGFja2FnZQ==' }),
      ),
    ).toEqual({
      RequestType: 'Add',
      ResourceType: 'SecurityPolicy',
      Settings: { EnforcerType: 'rego', EncodedSecurityPolicy: 'cGFja2FnZQ==' },
    });
    expect(await modify(() => guest.injectPolicyFragment({ Fragment: 'ZnJhZw==' }))).toEqual({
      RequestType: 'Add',
      ResourceType: 'SecurityPolicyFragment',
      Settings: { Fragment: 'ZnJhZw==' },
    });
    const cims = {
      BlockCIMs: [
        { CimName: 'merged.cim', Lun: 1 },
        { CimName: 'l0.cim', Lun: 2 },
      ],
      VolumeGUID: G2,
      MountFlags: 1,
      ContainerID: 'c1',
    };
    expect(await modify(() => guest.addBlockCIMs(cims))).toEqual({
      RequestType: 'Add',
      ResourceType: 'WCOWBlockCims',
      Settings: cims,
    });
    expect(await modify(() => guest.removeBlockCIMs(cims))).toMatchObject({ RequestType: 'Remove' });
    expect(await modify(() => guest.updateCgroupMemoryLimits())).toEqual({
      RequestType: 'Update',
      ResourceType: 'PodCgroupMemoryLimit',
    });
  });

  it('ContainerConstraints / Update goes to the container id', async () => {
    const r = await sent(() =>
      guest.updateContainerConstraints('c1', { Linux: { Memory: { Limit: 1048576 } } }),
    );
    expect(r.type).toBe(0x10100a01);
    expect(r.body).toEqual({
      ContainerId: 'c1',
      ActivityId: NULL_ID,
      Request: {
        RequestType: 'Update',
        ResourceType: 'ContainerConstraints',
        Settings: { Linux: { Memory: { Limit: 1048576 } } },
      },
    });
  });

  it('DumpStacks returns GuestStacks; DeleteContainerState addresses the container', async () => {
    let stacks = '';
    const r = await sent(async () => {
      stacks = await guest.dumpStacks();
    });
    expect(stacks).toBe('goroutine 1 [running]:');
    expect(r.type).toBe(0x10100c01);
    expect(r.body).toEqual({ ContainerId: NULL_ID, ActivityId: NULL_ID });
    const d = await sent(() => guest.deleteContainerState('c1'));
    expect(d.type).toBe(0x10100d01);
    expect(d.body).toEqual({ ContainerId: 'c1', ActivityId: NULL_ID });
  });
});

describe('validation (nothing is sent)', () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'relative mount path',
      () => guest.addMappedVirtualDisk({ MountPath: 'mnt', Controller: 0, Lun: 0 }),
      'disk.MountPath must be an absolute path',
    ],
    [
      '.. in mount path',
      () => guest.addMappedVirtualDisk({ MountPath: '/a/../b', Controller: 0, Lun: 0 }),
      "disk.MountPath must not contain '..'",
    ],
    [
      'controller 4',
      () => guest.addMappedVirtualDisk({ MountPath: '/m', Controller: 4, Lun: 0 }),
      'disk.Controller must be an integer 0..3, got 4',
    ],
    [
      'lun 64',
      () => guest.removeSCSIDevice({ Controller: 0, Lun: 64 }),
      'device.Lun must be an integer 0..63, got 64',
    ],
    [
      'WCOW relative path',
      () => guest.addMappedVirtualDiskWcow({ ContainerPath: 'mounts', Lun: 0 }),
      'disk.ContainerPath must be an absolute Windows path',
    ],
    [
      'empty share',
      () => guest.addMappedDirectory({ MountPath: '/p', ShareName: '' }),
      'directory.ShareName must be a non-empty string',
    ],
    [
      'vpmem 128',
      () => guest.addVPMemDevice({ DeviceNumber: 128, MountPath: '/p' }),
      'device.DeviceNumber must be an integer 0..127, got 128',
    ],
    [
      'vpci guid',
      () => guest.addVPCIDevice({ VMBusGUID: 'xyz' }),
      'device.VMBusGUID must be a GUID, got "xyz"',
    ],
    [
      'mac',
      () => guest.addNetworkInterface({ NamespaceID: G1, ID: G2, MacAddress: 'zz' }),
      'adapter.MacAddress must be six hex octets',
    ],
    [
      'filter type',
      () => guest.addCombinedLayersWcow({ ContainerRootPath: 'C:\\r', Layers: [], FilterType: 'X' as never }),
      'layers.FilterType must be one of',
    ],
    [
      'no cims',
      () => guest.addBlockCIMs({ BlockCIMs: [], VolumeGUID: G1, ContainerID: 'c' }),
      'mounts.BlockCIMs must be a non-empty array',
    ],
    [
      'hvsocket',
      () => guest.updateHvSocketAddress({ LocalAddress: 'me' }),
      'address.LocalAddress must be a GUID',
    ],
    [
      'fragment',
      () => guest.injectPolicyFragment({ Fragment: '' }),
      'fragment.Fragment must be a non-empty string',
    ],
    ['container id', () => guest.deleteContainerState(''), 'containerId must be a non-empty string'],
    ['constraints on the UVM', () => guest.updateContainerConstraints(NULL_ID, {}), 'not the null container'],
    [
      'bad timeout',
      () => guest.updateCgroupMemoryLimits({ timeout: Number.NaN }),
      'timeout must be a finite number',
    ],
  ];
  for (const [name, call, text] of cases) {
    it(`${name} → InvalidArgument`, async () => {
      const before = fake.received.length;
      const err = await rejection<HcsError>(call());
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toContain(text);
      expect(fake.received.length).toBe(before);
    });
  }
});

describe('the built Settings are checked against their @uvmkit/hcs-schema schema before sending', () => {
  it('a passed-through document with a field of the wrong type: InvalidArgument naming the resource and field, nothing sent', async () => {
    const before = fake.received.length;
    const err = await rejection<HcsError>(guest.addNetworkNamespace({ ID: G1, Id: 5 }));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe('NetworkNamespace: Settings.Id expected a string, got 5');
    expect(fake.received.length).toBe(before);
  });
});
