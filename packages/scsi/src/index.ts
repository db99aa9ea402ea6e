/**
 * @packageDocumentation
 * `@uvmkit/scsi` — SCSI disk attach and detach for `UtilityVM`: `addSCSIDisk(attachment,
 * controller, lun)` and `removeSCSIDisk(controller, lun)`, through HcsModifyComputeSystem on
 * `VirtualMachine/Devices/Scsi/<controller GUID>/Attachments/<lun>` (controller 0..3 → the
 * `ScsiControllerGuids`, LUN 0..63). Arguments are validated before anything is sent; failures
 * are `HcsError`s saying what was being done.
 *
 * Install once at the composition root: `UtilityVM.use(scsi)`. Importing this package changes
 * nothing. The functions are also exported on their own (`addSCSIDisk(vm, …)`).
 *
 * Does not own: choosing free LUNs or reference counting attachments, mounting the disk inside
 * the guest (guest requests), the VM's lifecycle (`@uvmkit/lifetime`), creating controllers
 * (they come from the VM's configuration).
 */
import type { ScsiMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends ScsiMethods {}
}

export { addSCSIDisk, removeSCSIDisk } from './disk.js';
export { type ScsiMethods, scsi, scsiMethods } from './plugin.js';
