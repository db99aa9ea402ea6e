/**
 * VPMem mappings: `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>/Mappings/<offsetBytes>`
 * (hcs-api.md §6a): an image mapped into an existing VPMem device at a byte offset. Add sends the
 * VirtualPMemMapping; Remove sends no Settings (HCS ignores them).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { modifySettingRequest, type VirtualPMemMapping, vpmemMappingPath } from '@uvmkit/hcs-schema';

/** Map an image into VPMem device `deviceNumber` at `offsetBytes` (`RequestType: "Add"`). */
export async function addVPMemMapping(
  vm: UtilityVM,
  deviceNumber: number,
  offsetBytes: number,
  mapping: VirtualPMemMapping,
  options?: CallOptions,
): Promise<void> {
  const what = `add VPMem mapping at offset ${String(offsetBytes)} of device ${String(deviceNumber)}`;
  return modifyResource(
    vm,
    'addVPMemMapping',
    what,
    () =>
      modifySettingRequest(vpmemMappingPath(deviceNumber, offsetBytes), {
        RequestType: 'Add',
        Settings: mapping,
      }),
    options,
  );
}

/** Remove the mapping at `offsetBytes` of VPMem device `deviceNumber` (`RequestType: "Remove"`, no Settings). */
export async function removeVPMemMapping(
  vm: UtilityVM,
  deviceNumber: number,
  offsetBytes: number,
  options?: CallOptions,
): Promise<void> {
  const what = `remove VPMem mapping at offset ${String(offsetBytes)} of device ${String(deviceNumber)}`;
  return modifyResource(
    vm,
    'removeVPMemMapping',
    what,
    () => modifySettingRequest(vpmemMappingPath(deviceNumber, offsetBytes), { RequestType: 'Remove' }),
    options,
  );
}
