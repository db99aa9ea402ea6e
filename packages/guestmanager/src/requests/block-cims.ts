/** WCOW block CIM layers (gcs-protocol.md §5 `WCOWBlockCims`): the merged CIM first. */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** `CWCOWBlockCIMMounts`. */
export interface BlockCimMounts {
  BlockCIMs: { CimName: string; Lun: number }[];
  VolumeGUID: string;
  MountFlags?: number;
  ContainerID: string;
}

function check(op: string, m: BlockCimMounts): Record<string, unknown> {
  v.object(op, 'mounts', m);
  if (!Array.isArray(m.BlockCIMs) || m.BlockCIMs.length === 0) {
    throw invalidArgument(op, 'mounts.BlockCIMs must be a non-empty array');
  }
  m.BlockCIMs.forEach((c, i) => {
    v.str(op, `mounts.BlockCIMs.${i}.CimName`, c?.CimName);
    v.int32(op, `mounts.BlockCIMs.${i}.Lun`, c?.Lun);
  });
  v.guid(op, 'mounts.VolumeGUID', m.VolumeGUID);
  v.uint(op, 'mounts.MountFlags', m.MountFlags, 0xffffffff, true);
  v.str(op, 'mounts.ContainerID', m.ContainerID);
  return v.defined({
    BlockCIMs: m.BlockCIMs.map((c) => ({ CimName: c.CimName, Lun: c.Lun })),
    VolumeGUID: m.VolumeGUID,
    MountFlags: m.MountFlags,
    ContainerID: m.ContainerID,
  });
}

export async function addBlockCIMs(
  guest: Guest,
  mounts: BlockCimMounts,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.BlockCims, 'Add', check('addBlockCIMs', mounts), options);
}
export async function removeBlockCIMs(
  guest: Guest,
  mounts: BlockCimMounts,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.BlockCims, 'Remove', check('removeBlockCIMs', mounts), options);
}
