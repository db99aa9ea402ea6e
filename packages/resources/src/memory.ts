/**
 * Memory size: `VirtualMachine/ComputeTopology/Memory/SizeInMB` (hcs-api.md §6a). Settings is
 * the bare number of MB, with NO RequestType, as hcsshim does. HCS may refuse a resize shortly
 * after boot; retrying is the caller's choice.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { InvalidArgumentError, memorySizePath, modifySettingRequest } from '@uvmkit/hcs-schema';

function checkSize(sizeInMB: unknown): number {
  if (typeof sizeInMB !== 'number') throw new InvalidArgumentError('sizeInMB', sizeInMB, 'must be a number');
  if (!Number.isSafeInteger(sizeInMB))
    throw new InvalidArgumentError('sizeInMB', sizeInMB, 'must be a safe integer');
  if (sizeInMB < 1) throw new InvalidArgumentError('sizeInMB', sizeInMB, 'must be at least 1');
  return sizeInMB;
}

/** Resize the VM's memory to `sizeInMB` (a positive integer). */
export async function updateMemory(vm: UtilityVM, sizeInMB: number, options?: CallOptions): Promise<void> {
  const what = `update the memory size to ${String(sizeInMB)} MB`;
  return modifyResource(
    vm,
    'updateMemory',
    what,
    () => modifySettingRequest(memorySizePath(), { Settings: checkSize(sizeInMB) }),
    options,
  );
}
