/** Assigned PCI devices in an LCOW guest (gcs-protocol.md §5): wait for the device to appear. */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** LCOW `LCOWMappedVPCIDevice`. */
export interface LcowMappedVPCIDevice {
  VMBusGUID: string;
}

/** Add only (the guest has no Remove). */
export async function addVPCIDevice(
  guest: Guest,
  device: LcowMappedVPCIDevice,
  options?: CallOptions,
): Promise<void> {
  const op = 'addVPCIDevice';
  v.object(op, 'device', device);
  v.guid(op, 'device.VMBusGUID', device.VMBusGUID);
  await send(guest, GuestResources.VpciDevice, 'Add', { VMBusGUID: device.VMBusGUID }, options);
}
