/** What `HcsdControl.guest(id)` shows of the guest table. */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../devices.js';
import type { GuestTable } from './table.js';

export interface GuestTableSnapshot {
  mappedVirtualDisks: {
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
    /** the host still has this disk attached at the same controller/LUN */
    hostAttached: boolean;
  }[];
  /** SCSI devices the guest unplugged (SCSIDevice Remove) that the host has not re-added */
  unpluggedScsi: { Controller: number; Lun: number }[];
  cgroupMemoryUpdates: number;
}

export function snapshotTable(t: GuestTable, host: DeviceTable): GuestTableSnapshot {
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
        hostAttached: host.scsiAttachment(guid, d.Lun) === d.attachment,
      };
    }),
    unpluggedScsi: [...t.unplugged.entries()]
      .filter(([k, att]) => {
        const [c, l] = k.split(':').map(Number) as [number, number];
        return host.scsiAttachment(ScsiControllerGuids[c] ?? '', l) === att;
      })
      .map(([k]) => {
        const [c, l] = k.split(':').map(Number) as [number, number];
        return { Controller: c, Lun: l };
      }),
    cgroupMemoryUpdates: t.cgroupMemoryUpdates,
  };
}
