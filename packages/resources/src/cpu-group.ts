/**
 * CPU group: `VirtualMachine/ComputeTopology/Processor/CpuGroup` (hcs-api.md §6a). Sends
 * `{Id}` with NO RequestType, as hcsshim does (HCS treats it as Update). The null GUID
 * `00000000-0000-0000-0000-000000000000` takes the VM out of its CPU group.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  type CpuGroup,
  cpuGroupPath,
  InvalidArgumentError,
  isGuid,
  modifySettingRequest,
} from '@uvmkit/hcs-schema';

function settingsOf(group: unknown): CpuGroup {
  if (typeof group === 'string') {
    if (!isGuid(group)) throw new InvalidArgumentError('group', group, 'must be a bare GUID');
    return { Id: group };
  }
  if (typeof group !== 'object' || group === null || Array.isArray(group)) {
    throw new InvalidArgumentError('group', group, 'must be a CPU group id (GUID) or a CpuGroup {Id}');
  }
  const id = (group as { Id?: unknown }).Id;
  if (typeof id !== 'string' || !isGuid(id))
    throw new InvalidArgumentError('group.Id', id, 'must be a bare GUID');
  return group as CpuGroup;
}

function label(group: unknown): string {
  const id = typeof group === 'object' && group !== null ? (group as { Id?: unknown }).Id : group;
  return typeof id === 'string' ? ` ${id}` : '';
}

/**
 * Move the VM into the host CPU group `group` (its id, or a `CpuGroup` document); `NULL_GUID`
 * removes it from its group. The group must exist on the host (HcsModifyServiceSettings).
 */
export async function setCPUGroup(
  vm: UtilityVM,
  group: string | CpuGroup,
  options?: CallOptions,
): Promise<void> {
  const what = `set the CPU group${label(group)}`;
  return modifyResource(
    vm,
    'setCPUGroup',
    what,
    () => modifySettingRequest(cpuGroupPath(), { Settings: settingsOf(group) }),
    options,
  );
}
