/** Test helpers: one hcsd per test file, small VM documents. */
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';

/** Start hcsd and point the shim at it (before the first HCS call of the file). */
export async function startDaemon(): Promise<HcsdProcess> {
  const hcsd = await startHcsd();
  process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
  return hcsd;
}

/** A minimal valid utility-VM document. */
export function vmConfig(extra: { terminate?: boolean } = {}): Record<string, unknown> {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'uvmkit-test',
    ShouldTerminateOnLastHandleClosed: extra.terminate ?? true,
    VirtualMachine: {
      Chipset: { Uefi: {} },
      ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
      Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } } },
    },
  };
}

let n = 0;
/** A unique system id. */
export function uniqueId(prefix = 'uvm'): string {
  n++;
  return `${prefix}-${process.pid}-${n}`;
}
