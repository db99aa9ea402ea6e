/** What `HcsdControl.guest(id)` shows of the guest table (plain JSON, deep copies). */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../../../devices.js';
import type { BlockCimMount, CombinedLayers, GuestTable, MappedDirectory } from './table.js';

export interface GuestTableSnapshot {
  mappedVirtualDisks: {
    /** LCOW MountPath (WCOW: ContainerPath) */
    MountPath: string;
    Controller: number;
    ControllerGuid: string;
    Lun: number;
    Partition: number;
    ReadOnly: boolean;
    Encrypted: boolean;
    Options: string[];
    BlockDev: boolean;
    EnsureFilesystem: boolean;
    Filesystem: string;
    /** WCOW MappedVirtualDiskForContainerScratch */
    Scratch: boolean;
    /** the host still has this very disk attached at the same controller/LUN */
    hostAttached: boolean;
  }[];
  /** SCSI devices the guest unplugged (SCSIDevice Remove) that the host has not removed/re-added */
  unpluggedScsi: { Controller: number; Lun: number }[];
  mappedDirectories: MappedDirectory[];
  vpmemDevices: {
    DeviceNumber: number;
    MountPath: string;
    MappingInfo: { DeviceOffsetInBytes: number; DeviceSizeInBytes: number } | null;
    hostAttached: boolean;
  }[];
  vpciDevices: { VMBusGUID: string }[];
  networkNamespaces: unknown[];
  networkAdapters: { NamespaceID: string; ID: string; preAddedOnly: boolean; settings: unknown }[];
  combinedLayers: CombinedLayers[];
  blockCims: BlockCimMount[];
  securityPolicy: unknown;
  policyFragments: unknown[];
  hvSocket: { LocalAddress: string; ParentAddress: string } | null;
  containers: {
    id: string;
    state: string;
    constraints: unknown[];
    /** the pid of its init process (Linux), null for a Windows container */
    initPid: number | null;
    /** the exit notification's Type once exited */
    exitType: string | null;
  }[];
  uvmCreated: boolean;
  uvmStarted: boolean;
  cgroupMemoryUpdates: number;
  serviceSettings: unknown[];
}

const clone = <T>(v: T): T => structuredClone(v);

export function snapshotTable(t: GuestTable, host: DeviceTable): GuestTableSnapshot {
  const split = (k: string): [number, number] => k.split(':').map(Number) as [number, number];
  return {
    mappedVirtualDisks: [...t.disks.values()].map((d) => {
      const guid = ScsiControllerGuids[d.Controller] ?? '';
      return {
        MountPath: d.MountPath,
        Controller: d.Controller,
        ControllerGuid: guid,
        Lun: d.Lun,
        Partition: d.Partition,
        ReadOnly: d.ReadOnly,
        Encrypted: d.Encrypted,
        Options: [...d.Options],
        BlockDev: d.BlockDev,
        EnsureFilesystem: d.EnsureFilesystem,
        Filesystem: d.Filesystem,
        Scratch: d.Scratch,
        hostAttached: host.scsiAttachment(guid, d.Lun) === d.attachment,
      };
    }),
    unpluggedScsi: [...t.unplugged.entries()]
      .filter(([k, att]) => {
        const [c, l] = split(k);
        return host.scsiAttachment(ScsiControllerGuids[c] ?? '', l) === att;
      })
      .map(([k]) => {
        const [c, l] = split(k);
        return { Controller: c, Lun: l };
      }),
    mappedDirectories: [...t.directories.values()].map(clone),
    vpmemDevices: [...t.vpmem.values()].map((m) => ({
      DeviceNumber: m.DeviceNumber,
      MountPath: m.MountPath,
      MappingInfo: clone(m.MappingInfo),
      hostAttached:
        (m.MappingInfo === null
          ? host.vpmemDevice(m.DeviceNumber)
          : host.vpmemMapping(m.DeviceNumber, m.MappingInfo.DeviceOffsetInBytes)) === m.hostObject,
    })),
    vpciDevices: [...t.vpci.values()].map(clone),
    networkNamespaces: [...t.namespaces.values()].map(clone),
    networkAdapters: [...t.adapters.values()].map((a) => ({
      NamespaceID: a.NamespaceID,
      ID: a.ID,
      preAddedOnly: a.preAddedOnly,
      settings: clone(a.settings),
    })),
    combinedLayers: [...t.layers.values()].map(clone),
    blockCims: [...t.blockCims.values()].map(clone),
    securityPolicy: clone(t.securityPolicy),
    policyFragments: t.policyFragments.map(clone),
    hvSocket: clone(t.hvSocket),
    containers: [...t.containers.values()].map((c) => ({
      id: c.id,
      state: c.state,
      constraints: clone(c.constraints),
      initPid: c.init?.pid ?? null,
      exitType: c.exitType,
    })),
    uvmCreated: t.uvmCreated,
    uvmStarted: t.uvmStarted,
    cgroupMemoryUpdates: t.cgroupMemoryUpdates,
    serviceSettings: t.serviceSettings.map(clone),
  };
}
