/**
 * HvSocket service table entries:
 * `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/<serviceId>` (hcs-api.md §6a).
 * Update sends the HvSocketServiceConfig; HCS creates the entry if absent, replaces it otherwise,
 * and removes it when the config is `Disabled` with empty security descriptors. Remove sends no
 * Settings (HCS ignores them), as hcsshim does. The service id is a bare GUID, lower-cased in the
 * path.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { type HvSocketServiceConfig, hvSocketServicePath, modifySettingRequest } from '@uvmkit/hcs-schema';

const label = (serviceId: unknown): string =>
  `HvSocket service ${typeof serviceId === 'string' ? serviceId : String(serviceId)}`;

/** Create or update the service table entry of `serviceId` (`RequestType: "Update"`, Settings = `config`). */
export async function updateHvSocketService(
  vm: UtilityVM,
  serviceId: string,
  config: HvSocketServiceConfig,
  options?: CallOptions,
): Promise<void> {
  const what = `update ${label(serviceId)}`;
  return modifyResource(
    vm,
    'updateHvSocketService',
    what,
    () => modifySettingRequest(hvSocketServicePath(serviceId), { RequestType: 'Update', Settings: config }),
    options,
  );
}

/** Remove the service table entry of `serviceId` (`RequestType: "Remove"`, no Settings). */
export async function removeHvSocketService(
  vm: UtilityVM,
  serviceId: string,
  options?: CallOptions,
): Promise<void> {
  const what = `remove ${label(serviceId)}`;
  return modifyResource(
    vm,
    'removeHvSocketService',
    what,
    () => modifySettingRequest(hvSocketServicePath(serviceId), { RequestType: 'Remove' }),
    options,
  );
}
