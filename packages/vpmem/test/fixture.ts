/**
 * Test fixture: a realistic LCOW utility-VM document (shaped like the one hcsshim builds for a
 * Linux UVM: kernel-direct boot, two SCSI controllers, a VPMem controller, Plan 9, VSMB and the
 * HvSocket service table of the GCS bridge), plus helpers for hcsd-backed tests.
 */
import { HcsError, systemOf, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { type ComputeSystem, ScsiControllerGuids } from '@uvmkit/hcs-schema';

/** The HvSocket service GUID of the Linux GCS bridge. */
export const GCS_SERVICE_ID = '40000000-facb-11e6-bd58-64006a7986d3';

export const WILDCARD_SERVICE = {
  AllowWildcardBinds: true,
  BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
  ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
} as const;

export interface FixtureOptions {
  /** include `Devices.VirtualPMem` (default true) */
  vpmem?: boolean;
  /** include `Devices.VirtualSmb` (default true) */
  vsmb?: boolean;
}

export function lcowDocument(owner: string, o: FixtureOptions = {}): ComputeSystem {
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
          KernelCmdLine:
            'console=ttyS0 pci=off brd.rd_nr=0 pmtmr=0 -- -e 1 /bin/vsockexec -e 109 /bin/gcs -v4',
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
        ...(o.vpmem === false
          ? {}
          : { VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296, Backing: 'Virtual' } }),
        Plan9: {},
        ...(o.vsmb === false ? {} : { VirtualSmb: { Shares: [], DirectFileMappingInMB: 1024 } }),
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
            DefaultConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
            ServiceTable: { [GCS_SERVICE_ID]: { ...WILDCARD_SERVICE } },
          },
        },
      },
      GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
    },
  } as ComputeSystem;
}

let n = 0;
/** A unique system id. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++n}`;
}

/** Create and start a VM from the fixture (start through hcs-core, no lifetime dependency). */
export async function runningVM(prefix: string, o: FixtureOptions = {}): Promise<UtilityVM> {
  const vm = await UtilityVM.create(uniqueId(prefix), lcowDocument(`${prefix}-test`, o));
  await systemOf(vm).start();
  return vm;
}

/** The rejection of `p` (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<HcsError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof HcsError)) throw err;
    return err;
  }
  throw new Error('expected a rejection');
}

/** The number of ModifySettingRequests hcsd received for `vm`. */
export async function logLength(hcsd: HcsdProcess, vm: UtilityVM): Promise<number> {
  return (await hcsd.control.modifyLog(vm.id)).length;
}

/** The last ModifySettingRequest hcsd received for `vm`. */
export async function lastRequest(hcsd: HcsdProcess, vm: UtilityVM): Promise<unknown> {
  return (await hcsd.control.modifyLog(vm.id)).at(-1);
}
