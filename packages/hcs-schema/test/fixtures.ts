/** A realistic LCOW utility-VM document, shaped like what hcsshim sends for a Linux UVM. */
import { ScsiControllerGuids } from '../src/guid.js';

export const GCS_SERVICE_ID = 'e0e16197-dd56-4a10-9195-5ee7a155a838';
export const LOG_SERVICE_ID = '0000006d-facb-11e6-bd58-64006a7986d3';

export function lcowDocument() {
  return {
    Owner: 'uvmkit-test',
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: 'C:\\ContainerPlat\\LinuxBootFiles\\vmlinux',
          InitRdPath: 'C:\\ContainerPlat\\LinuxBootFiles\\initrd.img',
          KernelCmdLine: 'console=ttyS0 pci=off brd.rd_nr=0 pmtmr=0 -- -e 1 /bin/vsockexec -e 109 /bin/gcs',
        },
      },
      ComputeTopology: {
        Memory: {
          SizeInMB: 1024,
          AllowOvercommit: true,
          EnableDeferredCommit: false,
          HighMmioBaseInMB: 1024 * 64,
          HighMmioGapInMB: 1024 * 16,
        },
        Processor: { Count: 2, Limit: 100000, Weight: 100 },
      },
      Devices: {
        Scsi: {
          [ScsiControllerGuids[0]]: {
            Attachments: {
              '0': { Type: 'VirtualDisk', Path: 'C:\\uvm\\scratch.vhdx', CachingMode: 'Uncached' },
              '1': { Type: 'VirtualDisk', Path: 'C:\\layers\\base.vhd', ReadOnly: true },
            },
          },
          [ScsiControllerGuids[1]]: { Attachments: {} },
        },
        VirtualPMem: {
          MaximumCount: 64,
          MaximumSizeBytes: 4 * 1024 * 1024 * 1024,
          Devices: {
            '0': {
              HostPath: 'C:\\ContainerPlat\\LinuxBootFiles\\rootfs.vhd',
              ReadOnly: true,
              ImageFormat: 'Vhd1',
            },
          },
        },
        Plan9: {
          Shares: [
            {
              Name: '1',
              AccessName: '1',
              Path: 'C:\\share',
              Port: 564,
              Flags: 0x4 | 0x1,
              AllowedFiles: ['a.txt'],
            },
          ],
        },
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
            ServiceTable: {
              [GCS_SERVICE_ID]: { BindSecurityDescriptor: 'D:P(A;;FA;;;SY)', AllowWildcardBinds: true },
              [LOG_SERVICE_ID]: { AllowWildcardBinds: true },
            },
          },
        },
        ComPorts: { '0': { NamedPipe: '\\\\.\\pipe\\uvm-console' } },
        NetworkAdapters: {
          'a5b1c2d3-0000-4000-8000-0123456789ab': {
            EndpointId: '9f5b1c2d-1111-4222-8333-0123456789ab',
            MacAddress: '00-15-5D-52-C0-01',
          },
        },
      },
      GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
    },
  };
}
