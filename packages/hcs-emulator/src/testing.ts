/**
 * `@uvmkit/hcs-emulator/testing`: what tests of uvmkit packages (and of their consumers) share —
 * a daemon wired to the shim, a realistic LCOW utility-VM document, unique ids, and a helper that
 * captures a rejection. Nothing here is needed at run time.
 */
import { type ComputeSystem, ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { type HcsdProcess, type StartHcsdOptions, startHcsd } from './start.js';

/** Start hcsd and point the shim at it (`UVMKIT_HCSD_SOCKET`); call before the first HCS call. */
export async function startTestHcsd(options: StartHcsdOptions = {}): Promise<HcsdProcess> {
  const hcsd = await startHcsd(options);
  process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
  return hcsd;
}

/** The HvSocket service GUID of the Linux GCS bridge (vsock port 0x40000000). */
export const GCS_SERVICE_ID = '40000000-facb-11e6-bd58-64006a7986d3';

const SYSTEM_SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)';

/** The HvSocket service entry hcsshim gives each LCOW vsock port. */
export const WILDCARD_SERVICE = {
  AllowWildcardBinds: true,
  BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
  ConnectSecurityDescriptor: SYSTEM_SDDL,
} as const;

export interface LcowDocumentOptions {
  /** `Owner` (default `'uvmkit-test'`). */
  owner?: string;
  /** How many SCSI controllers, keyed by `ScsiControllerGuids` from index 0 (default 2: 0 and 1). */
  scsiControllers?: number;
  /** Include `Devices.VirtualPMem` (default true; `MaximumCount` 64). */
  vpmem?: boolean;
  /** Include `Devices.VirtualSmb` (default true). */
  vsmb?: boolean;
  /** Include `VirtualMachine.GuestConnection`, which makes hcsd's guest agent dial (default true). */
  guestConnection?: boolean;
  /** `ShouldTerminateOnLastHandleClosed` (default true). */
  terminateOnLastHandleClosed?: boolean;
}

/**
 * An LCOW utility-VM document shaped like the one hcsshim builds for a Linux UVM: kernel-direct
 * boot, SCSI controllers, a VPMem controller, Plan 9, VSMB, the HvSocket service table of the GCS
 * bridge and a vsock guest connection.
 */
export function lcowDocument(options: LcowDocumentOptions = {}): ComputeSystem {
  const scsi = Object.fromEntries(
    ScsiControllerGuids.slice(0, options.scsiControllers ?? 2).map((guid) => [guid, { Attachments: {} }]),
  );
  return {
    Owner: options.owner ?? 'uvmkit-test',
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: options.terminateOnLastHandleClosed ?? true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: 'C:\\ContainerPlatform\\LinuxBootFiles\\vmlinux',
          InitRdPath: 'C:\\ContainerPlatform\\LinuxBootFiles\\initrd.img',
          KernelCmdLine:
            'console=ttyS0 pci=off brd.rd_nr=0 pmtmr=0 -- -e 1 /bin/vsockexec -e 109 /bin/gcs -v4',
        },
      },
      ComputeTopology: {
        Memory: { SizeInMB: 1024, AllowOvercommit: true, EnableDeferredCommit: true },
        Processor: { Count: 2 },
      },
      Devices: {
        Scsi: scsi,
        ...(options.vpmem === false
          ? {}
          : { VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296, Backing: 'Virtual' } }),
        Plan9: {},
        ...(options.vsmb === false ? {} : { VirtualSmb: { Shares: [], DirectFileMappingInMB: 1024 } }),
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: SYSTEM_SDDL,
            DefaultConnectSecurityDescriptor: SYSTEM_SDDL,
            ServiceTable: {
              '00000001-facb-11e6-bd58-64006a7986d3': { ...WILDCARD_SERVICE },
              '0000006d-facb-11e6-bd58-64006a7986d3': { ...WILDCARD_SERVICE },
              [GCS_SERVICE_ID]: { ...WILDCARD_SERVICE },
            },
          },
        },
      },
      ...(options.guestConnection === false
        ? {}
        : { GuestConnection: { UseVsock: true, UseConnectedSuspend: true } }),
    },
  } as ComputeSystem;
}

let counter = 0;
/** A system id unique within this process and across processes (`<prefix>-<pid>-<n>`). */
export function uniqueSystemId(prefix = 'uvm'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}`;
}

/** What `promise` rejects with; throws if it resolves. */
export async function rejection<E = unknown>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
