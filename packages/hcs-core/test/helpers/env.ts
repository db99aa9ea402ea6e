/** Test helpers: the shared ones of `@uvmkit/hcs-emulator/testing`, and this package's small VM document. */
import { lcowDocument } from '@uvmkit/hcs-emulator/testing';

export {
  rejection,
  startTestHcsd as startDaemon,
  uniqueSystemId as uniqueId,
} from '@uvmkit/hcs-emulator/testing';

/** The shared LCOW document with one SCSI controller and no guest connection (core needs no guest). */
export function vmConfig(extra: { terminate?: boolean } = {}): Record<string, unknown> {
  const terminateOnLastHandleClosed = extra.terminate ?? true;
  return lcowDocument({ scsiControllers: 1, guestConnection: false, terminateOnLastHandleClosed });
}
