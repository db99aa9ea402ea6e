/**
 * Processor limits: `VirtualMachine/ComputeTopology/Processor/Limits` (hcs-api.md §6a). Sends the
 * ProcessorLimits document (`Limit`, `Weight`, `Reservation`, `MaximumFrequencyMHz`) with NO
 * RequestType, as hcsshim does. Keys left out keep their current value.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { modifySettingRequest, type ProcessorLimits, processorLimitsPath } from '@uvmkit/hcs-schema';

/** Update the VM's processor limits (the request is validated against ProcessorLimits first). */
export async function updateCPULimits(
  vm: UtilityVM,
  limits: ProcessorLimits,
  options?: CallOptions,
): Promise<void> {
  return modifyResource(
    vm,
    'updateCPULimits',
    'update the processor limits',
    () => modifySettingRequest(processorLimitsPath(), { Settings: limits }),
    options,
  );
}
