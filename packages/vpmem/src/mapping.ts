/**
 * VPMem mappings: `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>/Mappings/<offsetBytes>`
 * (hcs-api.md §6a): an image mapped into an existing VPMem device at a byte offset. Add sends the
 * VirtualPMemMapping; Remove sends no Settings (HCS ignores them).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { type VirtualPMemMapping, vpmemMappingPath } from '@uvmkit/hcs-schema';
import { resourcePath, send } from './errors.js';

/** Map an image into VPMem device `deviceNumber` at `offsetBytes` (`RequestType: "Add"`). */
export async function addVPMemMapping(
  vm: UtilityVM,
  deviceNumber: number,
  offsetBytes: number,
  mapping: VirtualPMemMapping,
  options?: CallOptions,
): Promise<void> {
  const what = `add VPMem mapping at offset ${String(offsetBytes)} of device ${String(deviceNumber)}`;
  const path = resourcePath(() => vpmemMappingPath(deviceNumber, offsetBytes), what, 'addVPMemMapping', vm);
  await send(
    vm,
    { ResourcePath: path, RequestType: 'Add', Settings: mapping },
    what,
    'addVPMemMapping',
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
  const path = resourcePath(
    () => vpmemMappingPath(deviceNumber, offsetBytes),
    what,
    'removeVPMemMapping',
    vm,
  );
  await send(vm, { ResourcePath: path, RequestType: 'Remove' }, what, 'removeVPMemMapping', options);
}
