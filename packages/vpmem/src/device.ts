/**
 * VPMem devices: `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>` (hcs-api.md §6a).
 * Add sends the VirtualPMemDevice; Remove sends no Settings (HCS ignores them), as hcsshim does.
 * The VM needs a `Devices.VirtualPMem` controller; device numbers are 0..127 (HCS also bounds
 * them by the controller's `MaximumCount`).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { modifySettingRequest, type VirtualPMemDevice, vpmemDevicePath } from '@uvmkit/hcs-schema';

/** Hot-add a VPMem device (`RequestType: "Add"`, Settings = `settings`). */
export async function addVPMemDevice(
  vm: UtilityVM,
  deviceNumber: number,
  settings: VirtualPMemDevice,
  options?: CallOptions,
): Promise<void> {
  const what = `add VPMem device ${String(deviceNumber)}`;
  return modifyResource(
    vm,
    'addVPMemDevice',
    what,
    () => modifySettingRequest(vpmemDevicePath(deviceNumber), { RequestType: 'Add', Settings: settings }),
    options,
  );
}

/** Hot-remove a VPMem device (`RequestType: "Remove"`, no Settings); its mappings go with it. */
export async function removeVPMemDevice(
  vm: UtilityVM,
  deviceNumber: number,
  options?: CallOptions,
): Promise<void> {
  const what = `remove VPMem device ${String(deviceNumber)}`;
  return modifyResource(
    vm,
    'removeVPMemDevice',
    what,
    () => modifySettingRequest(vpmemDevicePath(deviceNumber), { RequestType: 'Remove' }),
    options,
  );
}
