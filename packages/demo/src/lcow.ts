/** A realistic LCOW utility-VM document, shaped like the one hcsshim builds for a Linux UVM. */
import { type ComputeSystem, ScsiControllerGuids } from '@uvmkit/hcs-schema';

/** The HvSocket service GUID of the Linux GCS bridge (vsock port 0x40000000). */
export const GCS_SERVICE_ID = '40000000-facb-11e6-bd58-64006a7986d3';

const wildcardService = {
  AllowWildcardBinds: true,
  BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
  ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
};

export function lcowDocument(owner: string): ComputeSystem {
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
        VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296, Backing: 'Virtual' },
        Plan9: {},
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
            DefaultConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
            ServiceTable: {
              '00000001-facb-11e6-bd58-64006a7986d3': wildcardService,
              '0000006d-facb-11e6-bd58-64006a7986d3': wildcardService,
              [GCS_SERVICE_ID]: wildcardService,
            },
          },
        },
      },
      GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
    },
  } as ComputeSystem;
}
