/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the scsi methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import type { Attachment } from '@uvmkit/hcs-schema';
import { addSCSIDisk, type ScsiMethods, scsi } from '@uvmkit/scsi';

declare const vm: UtilityVM;
declare const disk: Attachment;

UtilityVM.use(scsi);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addSCSIDisk(disk, 0, 3);
const addedRo: Promise<void> = vm.addSCSIDisk(
  { Type: 'VirtualDisk', Path: 'C:\\a.vhdx', ReadOnly: true },
  1,
  0,
);
const addedWithOptions: Promise<void> = vm.addSCSIDisk(disk, 0, 1, {
  signal: AbortSignal.timeout(10),
  timeout: 5,
});
const removed: Promise<void> = vm.removeSCSIDisk(0, 3);
const removedWithOptions: Promise<void> = vm.removeSCSIDisk(0, 3, { timeout: 1000 });
const plain: Promise<void> = addSCSIDisk(vm, disk, 0, 2);
const fromType: ScsiMethods['removeSCSIDisk'] = vm.removeSCSIDisk;
void [added, addedRo, addedWithOptions, removed, removedWithOptions, plain, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addSCSIDisk(vm, disk, 0, 3);
// @ts-expect-error controller is a number (0..3), not a GUID string
vm.addSCSIDisk(disk, 'df6d0690-79e5-55b6-a5ec-c1e2f77f580a', 3);
// @ts-expect-error Type must be one of the schema's attachment types
vm.addSCSIDisk({ Type: 'Floppy', Path: 'a' }, 0, 3);
// @ts-expect-error Path is required
vm.addSCSIDisk({ Type: 'VirtualDisk' }, 0, 3);
// @ts-expect-error remove takes no attachment
vm.removeSCSIDisk(disk, 0, 3);
// @ts-expect-error the methods resolve with nothing
const wrong: Promise<string> = vm.removeSCSIDisk(0, 3);
void wrong;
