/**
 * Virtual PCI (assigned) devices: `VirtualMachine/Devices/VirtualPci/<vmbusGuid>` (the VMBus
 * channel GUID, sent in lower case). Add sends the `VirtualPciDevice`; Remove sends no Settings
 * (HCS ignores them), as hcsshim does.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  describeValue,
  modifySettingRequest,
  type VirtualPciDevice,
  virtualPciPath,
} from '@uvmkit/hcs-schema';

/** Assign a host device (its `Functions`' `DeviceInstancePath`s) on VMBus channel `vmbusGuid`. */
export function addDevice(
  vm: UtilityVM,
  vmbusGuid: string,
  settings: VirtualPciDevice,
  options?: CallOptions,
): Promise<void> {
  return modifyResource(
    vm,
    'addDevice',
    `add virtual PCI device ${describeValue(vmbusGuid)}`,
    () => modifySettingRequest(virtualPciPath(vmbusGuid), { RequestType: 'Add', Settings: settings }),
    options,
  );
}

/** Remove the device assigned on VMBus channel `vmbusGuid`. */
export function removeDevice(vm: UtilityVM, vmbusGuid: string, options?: CallOptions): Promise<void> {
  return modifyResource(
    vm,
    'removeDevice',
    `remove virtual PCI device ${describeValue(vmbusGuid)}`,
    () => modifySettingRequest(virtualPciPath(vmbusGuid), { RequestType: 'Remove' }),
    options,
  );
}
