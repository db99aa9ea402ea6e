/** Test fixture: one hcsd per file, a realistic LCOW utility-VM document, small helpers. */
import { HcsError, systemOf, UtilityVM } from '@uvmkit/hcs-core';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { type ComputeSystem, ScsiControllerGuids } from '@uvmkit/hcs-schema';

/** Start hcsd and point the shim at it (before the first HCS call of the file). */
export async function startDaemon(): Promise<HcsdProcess> {
  const hcsd = await startHcsd();
  process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
  return hcsd;
}

const SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)';

/**
 * An LCOW utility VM shaped like hcsshim's: kernel-direct boot, SCSI controllers 0 and 1 (2 and 3
 * are deliberately absent), a VPMem controller, Plan 9, HvSocket with the GCS service, vsock guest
 * connection.
 */
export function lcowConfig(owner = 'uvmkit-pipe-test'): ComputeSystem {
  return {
    Owner: owner,
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: 'C:\\ContainerPlatform\\LinuxBootFiles\\vmlinux',
          InitRdPath: 'C:\\ContainerPlatform\\LinuxBootFiles\\initrd.img',
          KernelCmdLine: 'console=ttyS0 pci=off pmtmr=0 -- -e 1 /bin/vsockexec -e 109 /bin/gcs -v4',
        },
      },
      ComputeTopology: {
        Memory: { SizeInMB: 1024, AllowOvercommit: true, EnableDeferredCommit: true },
        Processor: { Count: 2 },
      },
      Devices: {
        Scsi: {
          [ScsiControllerGuids[0]]: { Attachments: {} },
          [ScsiControllerGuids[1]]: { Attachments: {} },
        },
        VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296, Backing: 'Virtual' },
        Plan9: {},
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: SDDL,
            DefaultConnectSecurityDescriptor: SDDL,
            ServiceTable: {
              '40000000-facb-11e6-bd58-64006a7986d3': {
                AllowWildcardBinds: true,
                BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
                ConnectSecurityDescriptor: SDDL,
              },
            },
          },
        },
      },
      GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
    },
  } as ComputeSystem;
}

let n = 0;
/** A unique system id. */
export function uniqueId(prefix = 'pipe'): string {
  n++;
  return `${prefix}-${process.pid}-${n}`;
}

/** Create the LCOW VM and start it (through core; this package does not depend on lifetime). */
export async function runningVm(id = uniqueId()): Promise<UtilityVM> {
  const vm = await UtilityVM.create(id, lcowConfig());
  await systemOf(vm).start();
  return vm;
}

/** The HcsError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(p: Promise<unknown>): Promise<HcsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HcsError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
