/**
 * The guest-side table: what the emulated GCS has mounted or configured inside the VM (mapped
 * virtual disks, mapped directories, VPMem mounts, NICs, combined layers, VPCI devices, security
 * policy…). Survives bridge reconnects; lives as long as the VM. Modified only by `resources.ts`.
 */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../devices.js';
import type { Obj } from './settings.js';

export interface MappedDisk {
  MountPath: string;
  Controller: number;
  Lun: number;
  Partition: number;
  ReadOnly: boolean;
  Encrypted: boolean;
  Options: string[];
  BlockDev: boolean;
  EnsureFilesystem: boolean;
  Filesystem: string;
  /** the host attachment object seen at Add (identity check for "still the same disk") */
  attachment: Obj;
}

export class GuestTable {
  /** LCOW MappedVirtualDisk mounts (WCOW: ContainerPath in MountPath, Controller 0) by mount path. */
  readonly disks = new Map<string, MappedDisk>();
  /** SCSI devices unplugged by SCSIDevice Remove: `${controller}:${lun}` → host attachment object. */
  readonly unplugged = new Map<string, Obj>();
  /** Host counter of PodCgroupMemoryLimit updates and other simple counters. */
  cgroupMemoryUpdates = 0;

  /** The attachment seen by the guest at (controller index, lun), unplugged ones excluded. */
  attachment(host: DeviceTable, controller: number, lun: number): Obj | undefined {
    const guid = ScsiControllerGuids[controller];
    if (guid === undefined) return undefined;
    const att = host.scsiAttachment(guid, lun);
    if (att === undefined) return undefined;
    const gone = this.unplugged.get(`${controller}:${lun}`);
    if (gone === att) return undefined;
    if (gone !== undefined) this.unplugged.delete(`${controller}:${lun}`); // re-added by the host
    return att;
  }
}
