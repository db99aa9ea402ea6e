/**
 * Network adapters: `VirtualMachine/Devices/NetworkAdapters/<nicId>` (nicId a GUID, sent in
 * lower case). Add, Update and Remove all send the `NetworkAdapter` as Settings (HCS identifies
 * the adapter on Remove by them too, as hcsshim does).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  describeValue,
  modifySettingRequest,
  type NetworkAdapter,
  networkAdapterPath,
} from '@uvmkit/hcs-schema';

type NicRequest = 'Add' | 'Remove' | 'Update';

function nic(
  vm: UtilityVM,
  op: string,
  verb: string,
  requestType: NicRequest,
  nicId: string,
  settings: NetworkAdapter,
  options: CallOptions | undefined,
): Promise<void> {
  return modifyResource(
    vm,
    op,
    `${verb} NIC ${describeValue(nicId)}`,
    () => modifySettingRequest(networkAdapterPath(nicId), { RequestType: requestType, Settings: settings }),
    options,
  );
}

/** Hot-add a NIC: `settings` names the HNS endpoint (`EndpointId`) and usually its `MacAddress`. */
export function addNIC(
  vm: UtilityVM,
  nicId: string,
  settings: NetworkAdapter,
  options?: CallOptions,
): Promise<void> {
  return nic(vm, 'addNIC', 'add', 'Add', nicId, settings, options);
}

/** Hot-remove a NIC; `settings` are the adapter's settings as added. */
export function removeNIC(
  vm: UtilityVM,
  nicId: string,
  settings: NetworkAdapter,
  options?: CallOptions,
): Promise<void> {
  return nic(vm, 'removeNIC', 'remove', 'Remove', nicId, settings, options);
}

/** Replace the settings of an existing NIC (e.g. `IovSettings`, `ConnectionState`). */
export function updateNIC(
  vm: UtilityVM,
  nicId: string,
  settings: NetworkAdapter,
  options?: CallOptions,
): Promise<void> {
  return nic(vm, 'updateNIC', 'update', 'Update', nicId, settings, options);
}
