/** save (`HcsSaveComputeSystem` with SaveOptions); the VM must be paused first. */
import { type CallOptions, HcsError, LocalCode, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import { check, SaveOptions } from '@uvmkit/hcs-schema';
import { wrap } from './start.js';

/** Save a paused VM. `saveOptions` is validated (SaveOptions) before anything is sent. */
export async function save(vm: UtilityVM, saveOptions: SaveOptions, options?: CallOptions): Promise<void> {
  const issues = check(SaveOptions, saveOptions);
  const first = issues[0];
  if (first !== undefined) {
    throw new HcsError(
      LocalCode.InvalidArgument,
      `failed to save utility VM ${JSON.stringify(vm.id)}: invalid SaveOptions: ${first.path === '' ? '(root)' : first.path}: ${first.message}`,
      { op: 'save', id: vm.id },
    );
  }
  try {
    await systemOf(vm).save(saveOptions, options);
  } catch (err) {
    throw wrap(err, 'save', vm);
  }
}
