/** VPMem devices inside an LCOW guest (gcs-protocol.md §5): mount a read-only layer device. */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** LCOW `LCOWMappedVPMemDevice`. */
export interface LcowMappedVPMemDevice {
  /** 0..127. */
  DeviceNumber: number;
  /** e.g. `/run/layers/p0`. */
  MountPath: string;
  /** A mapping inside a multi-mapped device. */
  MappingInfo?: { DeviceOffsetInBytes: number; DeviceSizeInBytes: number };
}

function check(op: string, d: LcowMappedVPMemDevice): Record<string, unknown> {
  v.object(op, 'device', d);
  v.uint(op, 'device.DeviceNumber', d.DeviceNumber, 127);
  v.linuxPath(op, 'device.MountPath', d.MountPath);
  if (d.MappingInfo !== undefined) {
    v.object(op, 'device.MappingInfo', d.MappingInfo);
    v.u64(op, 'device.MappingInfo.DeviceOffsetInBytes', d.MappingInfo.DeviceOffsetInBytes);
    v.u64(op, 'device.MappingInfo.DeviceSizeInBytes', d.MappingInfo.DeviceSizeInBytes);
  }
  return v.defined({
    DeviceNumber: d.DeviceNumber,
    MountPath: d.MountPath,
    MappingInfo:
      d.MappingInfo === undefined
        ? undefined
        : {
            DeviceOffsetInBytes: d.MappingInfo.DeviceOffsetInBytes,
            DeviceSizeInBytes: d.MappingInfo.DeviceSizeInBytes,
          },
  });
}

/** Mount VPMem device `DeviceNumber` at MountPath. */
export async function addVPMemDevice(
  guest: Guest,
  device: LcowMappedVPMemDevice,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.VpmemDevice, 'Add', check('addVPMemDevice', device), options);
}

/** Unmount it. */
export async function removeVPMemDevice(
  guest: Guest,
  device: LcowMappedVPMemDevice,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.VpmemDevice, 'Remove', check('removeVPMemDevice', device), options);
}
