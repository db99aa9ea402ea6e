import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestHarness, NULL_ID, T } from './helpers/guest-host.js';

let h: GuestHarness;
beforeAll(async () => {
  h = await GuestHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

const i32 = (hr: number): number => hr | 0;
const E_FAIL = i32(0x80004005);
const E_INVALIDARG = i32(0x80070057);
const NOT_FOUND = i32(0x80070490);
const EXISTS = i32(0x800700b7);
const INVALID_STATE = i32(0x80370105);
const SYSTEM_EXISTS = i32(0xc037010f);
const DEV = 'VirtualMachine/Devices';
const NIC = '6d2f9c7a-1b7e-4d6a-9a5e-0c1d2e3f4a5b';
const VOL = '11111111-2222-3333-4444-555555555555';
const scsi = (lun: number) => ({
  ResourcePath: `${DEV}/Scsi/${ScsiControllerGuids[0]}/Attachments/${lun}`,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: `C:\\d\\${lun}.vhdx` },
});

describe('Windows guest (a VM without LinuxKernelDirect)', () => {
  it('dials the Windows GCS service and reports the Windows capabilities', async () => {
    const { b, id } = await h.connected({ windows: true, negotiate: false });
    const f = await b.negotiate();
    expect(f.json).toEqual({
      Result: 0,
      ActivityId: NULL_ID,
      Version: 4,
      Capabilities: {
        SendHostCreateMessage: true,
        SendHostStartMessage: true,
        HvSocketConfigOnStartup: true,
        SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
        RuntimeOsType: 'Windows',
        GuestDefinedCapabilities: {
          NamespaceAddRequestSupported: true,
          SignalProcessSupported: true,
          DumpStacksSupported: true,
          DeleteContainerStateSupported: true,
          UpdateContainerSupported: true,
          LogForwardingSupported: true,
          HostProcessContainerSupported: true,
        },
      },
    });
    expect((await h.hcsd.control.guest(id)).serviceId).toBe('acef5661-84a1-4e44-856b-6245e69f4620');
    b.close();
  });

  it('cold start: Create then Start of the null container; HvSocket Update names the RuntimeId', async () => {
    const { b, id, runtimeId } = await h.connected({ windows: true });
    const base = { ContainerId: NULL_ID, ActivityId: NULL_ID };
    expect((await b.call(T.Start, base)).json?.Result).toBe(INVALID_STATE);
    const uvm = JSON.stringify({ SystemType: 'Container', TimeZoneInformation: { Bias: 0 } });
    expect((await b.call(T.Create, { ...base, ContainerConfig: uvm })).json).toEqual({
      Result: 0,
      ActivityId: NULL_ID,
    });
    expect((await b.call(T.Create, { ...base, ContainerConfig: uvm })).json?.Result).toBe(SYSTEM_EXISTS);
    expect((await b.call(T.Start, base)).json?.Result).toBe(0);
    const hv = (LocalAddress: string) => ({
      ResourceType: 'HvSocket',
      RequestType: 'Update',
      Settings: { LocalAddress, ParentAddress: '894cc2d6-9d79-424f-93fe-42969ae6d8d1' },
    });
    expect((await b.modify(hv(NIC))).json?.Result).toBe(E_INVALIDARG);
    expect((await b.modify(hv(runtimeId))).json?.Result).toBe(0);
    const g = await h.hcsd.control.guest(id);
    expect(g.table).toMatchObject({
      uvmCreated: true,
      uvmStarted: true,
      hvSocket: { LocalAddress: runtimeId, ParentAddress: '894cc2d6-9d79-424f-93fe-42969ae6d8d1' },
    });
    const svc = await b.call(0x10200101, {
      ...base,
      PropertyType: 'LogForwardService',
      Settings: { RPCType: 'StartLogForwarding' },
    });
    expect(svc.type).toBe(0x20200101);
    expect(svc.json?.Result).toBe(0);
    b.close();
  });

  it('disks (controller 0 only), scratch, block CIMs, network PreAdd/Add/Remove, namespaces, layers', async () => {
    const { b, t, id } = await h.connected({ windows: true });
    await h.hostModify(t, scsi(1));
    await h.hostModify(t, scsi(2));
    const m = (RequestType: string, ResourceType: string, Settings: unknown) =>
      b.modify({ ResourceType, RequestType, Settings });
    expect((await m('Add', 'MappedVirtualDisk', { ContainerPath: 'C:\\mnt\\a', Lun: 5 })).json?.Result).toBe(
      NOT_FOUND,
    );
    expect((await m('Add', 'MappedVirtualDisk', { ContainerPath: '/mnt/a', Lun: 1 })).json?.Result).toBe(
      E_INVALIDARG,
    );
    expect(
      (await m('Add', 'MappedVirtualDisk', { ContainerPath: 'C:\\mnt\\a', Lun: 1, Controller: 1 })).json
        ?.Result,
    ).toBe(E_INVALIDARG);
    expect((await m('Add', 'MappedVirtualDisk', { ContainerPath: 'C:\\mnt\\a', Lun: 1 })).json?.Result).toBe(
      0,
    );
    expect(
      (await m('Add', 'MappedVirtualDiskForContainerScratch', { ContainerPath: 'C:\\scratch', Lun: 2 })).json
        ?.Result,
    ).toBe(0);
    expect(
      (await m('Remove', 'MappedVirtualDiskForContainerScratch', { ContainerPath: 'C:\\scratch', Lun: 2 }))
        .json?.Result,
    ).toBe(E_FAIL);
    const cims = {
      BlockCIMs: [{ CimName: 'merged.cim', Lun: 1 }],
      VolumeGUID: VOL,
      MountFlags: 1,
      ContainerID: 'c1',
    };
    expect(
      (await m('Add', 'WCOWBlockCims', { ...cims, BlockCIMs: [{ CimName: 'x.cim', Lun: 9 }] })).json?.Result,
    ).toBe(NOT_FOUND);
    expect((await m('Add', 'WCOWBlockCims', cims)).json?.Result).toBe(0);
    expect((await m('Add', 'WCOWBlockCims', cims)).json?.Result).toBe(EXISTS);
    expect((await m('Remove', 'WCOWBlockCims', { VolumeGUID: VOL })).json?.Result).toBe(0);
    // network: PreAdd before the host adds the NIC, then Add, then Remove (outer RequestType Add/Remove)
    const nic = (inner: string) => ({ AdapterId: NIC, RequestType: inner, Settings: { ID: NIC } });
    expect((await m('Add', 'Network', nic('PreAdd'))).json?.Result).toBe(0);
    expect((await m('Add', 'Network', nic('Add'))).json?.Result).toBe(NOT_FOUND);
    await h.hostModify(t, {
      ResourcePath: `${DEV}/NetworkAdapters/${NIC}`,
      RequestType: 'Add',
      Settings: { EndpointId: NIC, MacAddress: '00-15-5D-01-02-03' },
    });
    expect((await m('Add', 'Network', nic('Add'))).json?.Result).toBe(0);
    expect((await m('Add', 'Network', nic('Add'))).json?.Result).toBe(EXISTS);
    expect((await m('Add', 'Network', nic('Bogus'))).json?.Result).toBe(E_FAIL);
    expect((await h.hcsd.control.guest(id)).table.networkAdapters).toEqual([
      { NamespaceID: '', ID: NIC, preAddedOnly: false, settings: { ID: NIC } },
    ]);
    expect((await m('Remove', 'Network', nic('Remove'))).json?.Result).toBe(0);
    expect((await m('Add', 'NetworkNamespace', { ID: 'ns-1', IsDefault: false })).json?.Result).toBe(0);
    expect((await m('Add', 'NetworkNamespace', { ID: 'ns-1' })).json?.Result).toBe(EXISTS);
    expect((await m('Remove', 'NetworkNamespace', { ID: 'ns-1' })).json?.Result).toBe(0);
    expect((await m('Remove', 'NetworkNamespace', { ID: 'ns-1' })).json?.Result).toBe(NOT_FOUND);
    const layers = {
      ContainerRootPath: 'C:\\c\\c1',
      Layers: [{ Id: 'l1', Path: 'C:\\layers\\l1' }],
      ScratchPath: 'C:\\scratch',
      FilterType: 'WCIFS',
    };
    expect((await m('Add', 'CombinedLayers', { ...layers, FilterType: 'Other' })).json?.Result).toBe(
      E_INVALIDARG,
    );
    expect(
      (await m('Add', 'CWCOWCombinedLayers', { ContainerID: 'c1', CombinedLayers: layers })).json?.Result,
    ).toBe(0);
    expect((await h.hcsd.control.guest(id)).table.combinedLayers).toEqual([
      {
        ContainerID: 'c1',
        ContainerRootPath: 'C:\\c\\c1',
        Layers: ['C:\\layers\\l1'],
        ScratchPath: 'C:\\scratch',
        FilterType: 'WCIFS',
      },
    ]);
    expect((await m('Remove', 'CombinedLayers', { ContainerRootPath: 'C:\\c\\c1' })).json?.Result).toBe(0);
    // LCOW-only types are unsupported on a Windows guest
    for (const rt of ['VPMemDevice', 'VPCIDevice', 'SCSIDevice', 'PodCgroupMemoryLimit'])
      expect((await m(rt === 'SCSIDevice' ? 'Remove' : 'Add', rt, {})).json?.Result, rt).toBe(E_FAIL);
    const g = await h.hcsd.control.guest(id);
    expect(g.table.mappedVirtualDisks.map((d) => [d.MountPath, d.Lun, d.Scratch])).toEqual([
      ['C:\\mnt\\a', 1, false],
      ['C:\\scratch', 2, true],
    ]);
    b.close();
  });
});
