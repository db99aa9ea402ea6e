/**
 * SCSI disks inside the guest (gcs-protocol.md §5): mount a hot-added disk (`MappedVirtualDisk`),
 * unmount it, and the LCOW hot-unplug cleanup (`SCSIDevice` Remove). Pair with the host manager:
 * host `addSCSIDisk` BEFORE `addMappedVirtualDisk`; `removeMappedVirtualDisk` +
 * `removeSCSIDevice` BEFORE host `removeSCSIDisk`.
 */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** LCOW `LCOWMappedVirtualDisk` (every field omitempty on the wire: Controller/Lun 0 are omitted). */
export interface LcowMappedVirtualDisk {
  MountPath: string;
  /** 0..3 (index into the SCSI controller GUIDs). */
  Controller: number;
  /** 0..63. */
  Lun: number;
  Partition?: number;
  ReadOnly?: boolean;
  Encrypted?: boolean;
  Options?: string[];
  BlockDev?: boolean;
  EnsureFilesystem?: boolean;
  Filesystem?: string;
}

/** WCOW `WCOWMappedVirtualDisk` (controller is always 0). */
export interface WcowMappedVirtualDisk {
  ContainerPath: string;
  Lun: number;
}

/** `SCSIDevice` (LCOW, Remove only). */
export interface ScsiDevice {
  Controller: number;
  Lun: number;
}

function checkLcow(op: string, d: LcowMappedVirtualDisk): Partial<LcowMappedVirtualDisk> {
  v.object(op, 'disk', d);
  if (d.BlockDev === true) v.str(op, 'disk.MountPath', d.MountPath);
  else v.linuxPath(op, 'disk.MountPath', d.MountPath);
  v.uint(op, 'disk.Controller', d.Controller, 3);
  v.uint(op, 'disk.Lun', d.Lun, 63);
  v.u64(op, 'disk.Partition', d.Partition, true);
  v.bool(op, 'disk.ReadOnly', d.ReadOnly);
  v.bool(op, 'disk.Encrypted', d.Encrypted);
  v.bool(op, 'disk.BlockDev', d.BlockDev);
  v.bool(op, 'disk.EnsureFilesystem', d.EnsureFilesystem);
  v.strings(op, 'disk.Options', d.Options);
  v.str(op, 'disk.Filesystem', d.Filesystem, true);
  return v.omitEmpty({
    MountPath: d.MountPath,
    Lun: d.Lun,
    Controller: d.Controller,
    Partition: d.Partition,
    ReadOnly: d.ReadOnly,
    Encrypted: d.Encrypted,
    Options: d.Options,
    BlockDev: d.BlockDev,
    EnsureFilesystem: d.EnsureFilesystem,
    Filesystem: d.Filesystem,
  });
}

function checkWcow(op: string, d: WcowMappedVirtualDisk): WcowMappedVirtualDisk {
  v.object(op, 'disk', d);
  v.windowsPath(op, 'disk.ContainerPath', d.ContainerPath);
  v.uint(op, 'disk.Lun', d.Lun, 63);
  return { ContainerPath: d.ContainerPath, Lun: d.Lun };
}

/** LCOW: mount SCSI disk (Controller, Lun) at MountPath. */
export async function addMappedVirtualDisk(
  guest: Guest,
  disk: LcowMappedVirtualDisk,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.LcowMappedVirtualDisk,
    'Add',
    checkLcow('addMappedVirtualDisk', disk),
    options,
  );
}

/** LCOW: unmount it (same settings as the add). */
export async function removeMappedVirtualDisk(
  guest: Guest,
  disk: LcowMappedVirtualDisk,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.LcowMappedVirtualDisk,
    'Remove',
    checkLcow('removeMappedVirtualDisk', disk),
    options,
  );
}

/** WCOW: mount SCSI disk at LUN on controller 0 at ContainerPath. */
export async function addMappedVirtualDiskWcow(
  guest: Guest,
  disk: WcowMappedVirtualDisk,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.WcowMappedVirtualDisk,
    'Add',
    checkWcow('addMappedVirtualDiskWcow', disk),
    options,
  );
}

/** WCOW: unmount it. */
export async function removeMappedVirtualDiskWcow(
  guest: Guest,
  disk: WcowMappedVirtualDisk,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.WcowMappedVirtualDisk,
    'Remove',
    checkWcow('removeMappedVirtualDiskWcow', disk),
    options,
  );
}

/** Confidential WCOW: the container scratch disk (formatted ReFS by the sidecar). */
export async function addMappedVirtualDiskForContainerScratch(
  guest: Guest,
  disk: WcowMappedVirtualDisk,
  options?: CallOptions,
): Promise<void> {
  const settings = checkWcow('addMappedVirtualDiskForContainerScratch', disk);
  await send(guest, GuestResources.WcowContainerScratch, 'Add', settings, options);
}

/** LCOW: tell the guest the device at (Controller, Lun) is about to be hot-unplugged. */
export async function removeSCSIDevice(
  guest: Guest,
  device: ScsiDevice,
  options?: CallOptions,
): Promise<void> {
  const op = 'removeSCSIDevice';
  v.object(op, 'device', device);
  v.uint(op, 'device.Controller', device.Controller, 3);
  v.uint(op, 'device.Lun', device.Lun, 63);
  await send(
    guest,
    GuestResources.ScsiDevice,
    'Remove',
    { Controller: device.Controller, Lun: device.Lun },
    options,
  );
}
