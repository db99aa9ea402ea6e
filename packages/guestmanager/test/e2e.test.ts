/**
 * End to end against hcsd's emulated guest agent, for what only the emulator shows (the tests
 * that apply to the real agent too are the shared suite, ./agent/suite.ts): the HvSocket path
 * the agent derives, the guest table's record of every field, the agent's fault injection
 * (garbage, oversized, unknown ID, drop, never dial, reorder, failures) through the real bridge,
 * the emulator's in-use bookkeeping, VPMem, a Windows guest, and LCOW requests accepted as the
 * Linux GCS accepts them on Hyper-V (VPCI, combined layers on guest mounts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HcsError, UtilityVM } from '@uvmkit/hcs-core';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { GCS_MAX_FRAME, gcsOversizedRequestMessage, virtualPciPath } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
import { scsi } from '@uvmkit/scsi';
import { vpmem } from '@uvmkit/vpmem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcProc } from '../src/bridge/protocol.js';
import { BridgeClosedError, type BridgeProtocolError } from '../src/errors.js';
import { Guest } from '../src/guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-e2e-'));
const GCS = '40000000-facb-11e6-bd58-64006a7986d3';
const NULL_CONTAINER = '00000000-0000-0000-0000-000000000000';
let hcsd: HcsdProcess;

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
  UtilityVM.use(scsi);
  UtilityVM.use(vpmem);
});
afterAll(async () => {
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function up() {
  const vm = await UtilityVM.create(uniqueSystemId('gme2e'), lcowDocument());
  const guest = new Guest(vm);
  await guest.prepareConnection();
  await vm.start();
  const caps = await guest.createConnection({ timeout: 10_000 });
  return { vm, guest, caps };
}

async function down(vm: UtilityVM, guest: Guest) {
  await guest.closeConnection();
  await vm.terminate();
  await vm.close();
}

const disk = { Type: 'VirtualDisk' as const, Path: 'C:\\disks\\data.vhdx' };

describe('end to end with the emulated agent', () => {
  it('the agent derives the same HvSocket path as the host', async () => {
    const vm = await UtilityVM.create(uniqueSystemId('gme2e'), lcowDocument());
    const g = await hcsd.control.guest(vm.id);
    expect(g.serviceId).toBe(GCS);
    expect(g.socketPath).toBe(hvsocketPath({ vmId: vm.runtimeId, serviceId: GCS }, dir));
    await vm.close();
  });

  it('create → prepare → start → connect → addSCSIDisk → addMappedVirtualDisk → the table records every field → remove both → terminate', async () => {
    const { vm, guest } = await up();
    let g = await hcsd.control.guest(vm.id);
    expect(g.connected).toBe(true);
    expect(g.negotiated).toBe(true);
    expect(g.protocolVersion).toBe(4);
    expect(g.table.mappedVirtualDisks).toEqual([]);

    await vm.addSCSIDisk(disk, 0, 1);
    await guest.addMappedVirtualDisk({
      MountPath: '/run/mounts/scsi/m1',
      Controller: 0,
      Lun: 1,
      ReadOnly: true,
    });
    g = await hcsd.control.guest(vm.id);
    expect(g.table.mappedVirtualDisks).toEqual([
      expect.objectContaining({
        MountPath: '/run/mounts/scsi/m1',
        Controller: 0,
        ControllerGuid: 'df6d0690-79e5-55b6-a5ec-c1e2f77f580a',
        Lun: 1,
        Partition: 0,
        ReadOnly: true,
        Encrypted: false,
        Options: [],
        BlockDev: false,
        EnsureFilesystem: false,
        Filesystem: '',
        hostAttached: true,
      }),
    ]);

    await guest.removeMappedVirtualDisk({
      MountPath: '/run/mounts/scsi/m1',
      Controller: 0,
      Lun: 1,
      ReadOnly: true,
    });
    await guest.removeSCSIDevice({ Controller: 0, Lun: 1 });
    await vm.removeSCSIDisk(0, 1);
    g = await hcsd.control.guest(vm.id);
    expect(g.table.mappedVirtualDisks).toEqual([]);
    expect(g.table.unpluggedScsi).toEqual([]);
    await down(vm, guest);
  });

  it('a request over GCS_MAX_FRAME: the agent answers E_INVALIDARG without reading it, the bridge stays up (as the C agent)', async () => {
    // The same call and assertions as linux-guest's agent.test.ts against the C agent.
    const { vm, guest } = await up();
    const body = { Padding: 'x'.repeat(70_000) };
    const size =
      16 +
      Buffer.byteLength(
        `${JSON.stringify({ ContainerId: NULL_CONTAINER, ActivityId: NULL_CONTAINER, ...body })}\n`,
      );
    expect(size).toBeGreaterThan(GCS_MAX_FRAME);
    const err = await rejection<HcsError>(guest.rpc(RpcProc.DumpStacks, body));
    expect(err.code).toBe('ERROR_INVALID_PARAMETER');
    expect(err.hresult).toBe(0x80070057);
    expect(err.op).toBe('DumpStacks');
    expect(err.message).toContain(gcsOversizedRequestMessage(size));
    expect(guest.connected).toBe(true);
    expect(await guest.dumpStacks()).toEqual(expect.any(String));
    await down(vm, guest);
  });

  it('a garbage reply (payload not JSON) closes the bridge: the call rejects BridgeClosed(InvalidPayload)', async () => {
    const { vm, guest } = await up();
    await hcsd.control.guestFault(vm.id, { kind: 'garbage', variant: 'json', procedure: 'DumpStacks' });
    const err = await rejection<BridgeClosedError>(guest.dumpStacks());
    expect(err).toBeInstanceOf(BridgeClosedError);
    expect(err.reason).toBe('protocol');
    expect((err.cause as BridgeProtocolError).violation).toBe('InvalidPayload');
    expect((await rejection<HcsError>(guest.dumpStacks())).code).toBe('GuestConnectionUnavailable');
    await down(vm, guest);
  });

  it('an oversized reply (> 0x10000) fails that call only; an unknown response ID closes the bridge', async () => {
    const a = await up();
    await hcsd.control.guestFault(a.vm.id, { kind: 'oversized', procedure: 'DumpStacks' });
    // was: the bridge closed (OversizedFrame); now the frame boundary is intact, so only the call fails
    const e1 = await rejection<HcsError>(a.guest.dumpStacks());
    expect(e1.code).toBe('ResponseTooLarge');
    expect(a.guest.connected).toBe(true);
    await down(a.vm, a.guest);

    const b = await up();
    const closed = new Promise<BridgeClosedError>((r) => b.guest.onDisconnect(r));
    await hcsd.control.guestFault(b.vm.id, { kind: 'garbage', variant: 'unknownId', when: 'now' });
    const e2 = await closed;
    expect((e2.cause as BridgeProtocolError).violation).toBe('UnknownResponseId');
    await down(b.vm, b.guest);
  });

  it('the agent dropping the connection mid-RPC: BridgeClosed(eof); it re-dials and the host reconnects', async () => {
    const { vm, guest } = await up();
    await vm.addSCSIDisk(disk, 0, 2);
    await guest.addMappedVirtualDisk({ MountPath: '/run/m3', Controller: 0, Lun: 2 });
    await hcsd.control.guestFault(vm.id, { kind: 'dropOnRequest', procedure: 'DumpStacks' });
    const err = await rejection<BridgeClosedError>(guest.dumpStacks());
    expect(err.reason).toBe('eof');
    await guest.prepareConnection();
    await guest.createConnection({ coldStart: false, timeout: 10_000 });
    const g = await hcsd.control.guest(vm.id);
    expect(g.connections).toBe(2);
    expect(g.table.mappedVirtualDisks.map((d) => d.MountPath)).toEqual(['/run/m3']);
    await guest.removeMappedVirtualDisk({ MountPath: '/run/m3', Controller: 0, Lun: 2 });
    await down(vm, guest);
  });

  it('reordered replies are matched by ID; a guest failure HRESULT is passed through', async () => {
    const { vm, guest } = await up();
    await vm.addSCSIDisk(disk, 0, 3);
    await hcsd.control.guestFault(vm.id, { kind: 'reorder', count: 2 });
    const [a, b] = await Promise.all([
      guest.addMappedVirtualDisk({ MountPath: '/run/m4', Controller: 0, Lun: 3 }),
      guest.dumpStacks(),
    ]);
    expect(a).toBeUndefined();
    expect(typeof b).toBe('string');
    const log = (await hcsd.control.guest(vm.id)).table.mappedVirtualDisks.map((d) => d.MountPath);
    expect(log).toEqual(['/run/m4']);
    await hcsd.control.guestFault(vm.id, {
      kind: 'fail',
      hresult: 0x80004005,
      message: 'policy denied',
      procedure: 'ModifySettings',
    });
    const err = await rejection<HcsError>(
      guest.removeMappedVirtualDisk({ MountPath: '/run/m4', Controller: 0, Lun: 3 }),
    );
    expect(err.code).toBe('E_FAIL');
    expect(err.hcsMessage).toBe('policy denied');
    await down(vm, guest);
  });

  it('a guest that never dials: terminate → HCS_E_UNEXPECTED_EXIT; abort → Aborted', async () => {
    const vm = await UtilityVM.create(uniqueSystemId('gme2e'), lcowDocument());
    await hcsd.control.guestFault(vm.id, { kind: 'neverDial' });
    const guest = new Guest(vm);
    await guest.prepareConnection();
    await vm.start();
    const ac = new AbortController();
    const p = rejection<HcsError>(guest.createConnection({ signal: ac.signal }));
    setTimeout(() => ac.abort('enough'), 150);
    expect((await p).code).toBe('Aborted');
    await guest.prepareConnection();
    const q = rejection<HcsError>(guest.createConnection());
    await vm.terminate();
    expect((await q).code).toBe('HCS_E_UNEXPECTED_EXIT');
    await vm.close();
  });

  it('SCSIDevice Remove with a mount still on the disk is refused (0x80370105, in use)', async () => {
    const { vm, guest } = await up();
    await vm.addSCSIDisk(disk, 1, 0);
    await guest.addMappedVirtualDisk({ MountPath: '/run/m5', Controller: 1, Lun: 0 });
    const err = await rejection<HcsError>(guest.removeSCSIDevice({ Controller: 1, Lun: 0 }));
    expect(err.code).toBe('HCS_E_INVALID_STATE');
    expect(err.hresult).toBe(0x80370105);
    const dup = await rejection<HcsError>(
      guest.addMappedVirtualDisk({ MountPath: '/run/m5', Controller: 1, Lun: 0 }),
    );
    expect(dup.hresult).toBe(0x800700b7);
    await guest.removeMappedVirtualDisk({ MountPath: '/run/m5', Controller: 1, Lun: 0 });
    await guest.removeSCSIDevice({ Controller: 1, Lun: 0 });
    await vm.removeSCSIDisk(1, 0);
    await down(vm, guest);
  });

  it('VPMem: host addVPMemDevice → guest addVPMemDevice → table → remove both; an absent device is ERROR_NOT_FOUND', async () => {
    const { vm, guest } = await up();
    const absent = await rejection<HcsError>(
      guest.addVPMemDevice({ DeviceNumber: 7, MountPath: '/run/layers/p7' }),
    );
    expect(absent.code).toBe('ERROR_NOT_FOUND');
    await vm.addVPMemDevice(7, { HostPath: 'C:\\layers\\l7.vhd', ReadOnly: true, ImageFormat: 'Vhd1' });
    await guest.addVPMemDevice({ DeviceNumber: 7, MountPath: '/run/layers/p7' });
    let g = await hcsd.control.guest(vm.id);
    expect(g.table.vpmemDevices).toEqual([
      expect.objectContaining({
        DeviceNumber: 7,
        MountPath: '/run/layers/p7',
        MappingInfo: null,
        hostAttached: true,
      }),
    ]);
    await guest.removeVPMemDevice({ DeviceNumber: 7, MountPath: '/run/layers/p7' });
    await vm.removeVPMemDevice(7);
    g = await hcsd.control.guest(vm.id);
    expect(g.table.vpmemDevices).toEqual([]);
    await down(vm, guest);
  });

  it('a Windows guest: cold start sends Create + Start for the null container; HvSocket address update', async () => {
    const doc = lcowDocument();
    const chipset = {
      Uefi: { BootThis: { DeviceType: 'VmbFs', DevicePath: '\\EFI\\Microsoft\\Boot\\bootmgfw.efi' } },
    };
    const wcow = { ...doc, VirtualMachine: { ...doc.VirtualMachine, Chipset: chipset } };
    const vm = await UtilityVM.create(uniqueSystemId('gmwcow'), wcow);
    const guest = new Guest(vm);
    await guest.prepareConnection('acef5661-84a1-4e44-856b-6245e69f4620');
    await vm.start();
    const caps = await guest.createConnection({ timeout: 10_000 });
    expect(caps.os).toBe('windows');
    expect(caps.sendHostCreateMessage).toBe(true);
    expect(caps.sendHostStartMessage).toBe(true);
    let g = await hcsd.control.guest(vm.id);
    expect(g.table.uvmCreated).toBe(true);
    expect(g.table.uvmStarted).toBe(true);
    expect(g.requests.map((r) => r.procedure)).toEqual(['NegotiateProtocol', 'Create', 'Start']);
    await guest.updateHvSocketAddress({ LocalAddress: vm.runtimeId });
    g = await hcsd.control.guest(vm.id);
    expect(g.table.hvSocket).toEqual({
      LocalAddress: vm.runtimeId,
      ParentAddress: '894cc2d6-9d79-424f-93fe-42969ae6d8d1',
    });
    // WCOW requests: mapped disk, block CIMs on attached LUNs, combined layers, network pre-add
    await vm.addSCSIDisk(disk, 0, 4);
    await vm.addSCSIDisk(disk, 0, 5);
    await guest.addMappedVirtualDiskWcow({ ContainerPath: 'C:\\c1\\scratch', Lun: 4 });
    const volume = '9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
    const cims = { BlockCIMs: [{ CimName: 'merged.cim', Lun: 5 }], VolumeGUID: volume, ContainerID: 'c1' };
    await guest.addBlockCIMs(cims);
    const layers = {
      ContainerRootPath: 'C:\\c1\\root',
      Layers: [{ Id: volume, Path: 'C:\\layers\\l0' }],
      ScratchPath: 'C:\\c1\\scratch',
      FilterType: 'WCIFS' as const,
    };
    await guest.addCombinedLayersWcow(layers);
    const adapter = '0a0b0c0d-1111-4222-8333-444455556666';
    await guest.preAddNetworkInterfaceWcow(adapter, { ID: adapter });
    g = await hcsd.control.guest(vm.id);
    expect(g.table.blockCims).toHaveLength(1);
    expect(g.table.combinedLayers).toHaveLength(1);
    expect(g.table.networkAdapters).toEqual([expect.objectContaining({ preAddedOnly: true })]);
    const linuxOnly = await rejection<HcsError>(guest.updateCgroupMemoryLimits());
    expect(linuxOnly.code).toBe('E_FAIL');
    await guest.removeCombinedLayersWcow(layers);
    await guest.removeBlockCIMs(cims);
    await guest.removeMappedVirtualDiskWcow({ ContainerPath: 'C:\\c1\\scratch', Lun: 4 });
    await down(vm, guest);
  });

  it('LCOW: VPCI, network, combined layers on guest mounts — accepted by the agent; VPMem under layers is in use', async () => {
    const { vm, guest } = await up();
    const vmbus = '6a1b2c3d-0000-4000-8000-00000000abcd';
    await vm.modify({
      ResourcePath: virtualPciPath(vmbus).path,
      RequestType: 'Add',
      Settings: { Functions: [{ DeviceInstancePath: 'PCI\\VEN_10DE&DEV_1EB8\\1' }] },
    });
    await guest.addVPCIDevice({ VMBusGUID: vmbus });
    const ns = '11111111-2222-4333-8444-555555555555';
    const nic = '66666666-7777-4888-8999-aaaaaaaaaaaa';
    await guest.addNetworkInterface({
      NamespaceID: ns,
      ID: nic,
      VPCIAssigned: true,
      IPConfigs: [{ IPAddress: '10.1.0.2', PrefixLength: 24 }],
    });
    await vm.addVPMemDevice(0, { HostPath: 'C:\\layers\\base.vhd', ReadOnly: true, ImageFormat: 'Vhd1' });
    await guest.addVPMemDevice({ DeviceNumber: 0, MountPath: '/run/layers/p0' });
    await vm.addSCSIDisk(disk, 0, 10);
    await guest.addMappedVirtualDisk({ MountPath: '/run/gcs/c/c1/scratch', Controller: 0, Lun: 10 });
    const layers = {
      ContainerID: 'c1',
      ContainerRootPath: '/run/gcs/c/c1/rootfs',
      Layers: [{ Path: '/run/layers/p0' }],
      ScratchPath: '/run/gcs/c/c1/scratch',
    };
    await guest.addCombinedLayers(layers);
    const inUse = await rejection<HcsError>(
      guest.removeVPMemDevice({ DeviceNumber: 0, MountPath: '/run/layers/p0' }),
    );
    expect(inUse.hresult).toBe(0x80370105);
    const g = await hcsd.control.guest(vm.id);
    expect(g.table.vpciDevices).toEqual([{ VMBusGUID: vmbus }]);
    expect(g.table.networkAdapters).toEqual([expect.objectContaining({ NamespaceID: ns, ID: nic })]);
    expect(g.table.combinedLayers).toEqual([
      expect.objectContaining({ ContainerRootPath: '/run/gcs/c/c1/rootfs' }),
    ]);
    await guest.removeCombinedLayers(layers);
    await guest.removeNetworkInterface({ NamespaceID: ns, ID: nic, VPCIAssigned: true });
    await guest.removeVPMemDevice({ DeviceNumber: 0, MountPath: '/run/layers/p0' });
    await guest.removeMappedVirtualDisk({ MountPath: '/run/gcs/c/c1/scratch', Controller: 0, Lun: 10 });
    const after = await hcsd.control.guest(vm.id);
    expect(after.table.combinedLayers).toEqual([]);
    expect(after.table.mappedVirtualDisks).toEqual([]);
    await down(vm, guest);
  });
});
