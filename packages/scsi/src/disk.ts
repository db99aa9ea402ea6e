/**
 * SCSI attachments: `VirtualMachine/Devices/Scsi/<controller GUID>/Attachments/<lun>`.
 * Add sends the `Attachment` as Settings; Remove sends no Settings (HCS ignores them).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { type Attachment, describeValue, modifySettingRequest, scsiAttachmentPath } from '@uvmkit/hcs-schema';

/**
 * Attach a disk (`Attachment`: `Type`, `Path`, …) at `controller` (0..3, the index into
 * `ScsiControllerGuids`) and `lun` (0..63). The VM must be running and have that controller.
 */
export function addSCSIDisk(
  vm: UtilityVM,
  attachment: Attachment,
  controller: number,
  lun: number,
  options?: CallOptions,
): Promise<void> {
  return modifyResource(
    vm,
    'addSCSIDisk',
    `add SCSI disk at controller ${describeValue(controller)} LUN ${describeValue(lun)}`,
    () =>
      modifySettingRequest(scsiAttachmentPath(controller, lun), { RequestType: 'Add', Settings: attachment }),
    options,
  );
}

/** Detach the disk at `controller` (0..3) and `lun` (0..63). */
export function removeSCSIDisk(
  vm: UtilityVM,
  controller: number,
  lun: number,
  options?: CallOptions,
): Promise<void> {
  return modifyResource(
    vm,
    'removeSCSIDisk',
    `remove SCSI disk at controller ${describeValue(controller)} LUN ${describeValue(lun)}`,
    () => modifySettingRequest(scsiAttachmentPath(controller, lun), { RequestType: 'Remove' }),
    options,
  );
}
