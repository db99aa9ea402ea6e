/**
 * The devices the demo hot-adds to a running UVM (one per resource manager), and how to undo them.
 * Each step is a manager method on UtilityVM; every document it sends is built by the manager.
 */
import type { UtilityVM } from '@uvmkit/hcs-core';
import '@uvmkit/network';
import '@uvmkit/plan9';
import '@uvmkit/resources';
import '@uvmkit/scsi';
import '@uvmkit/vmsocket';
import '@uvmkit/vpmem';
import '@uvmkit/vsmb';

const NIC_ID = '7a3f12c4-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const ENDPOINT_ID = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';
const SERVICE_ID = '40000001-facb-11e6-bd58-64006a7986d3'; // the first stdio relay port
const PLAN9_SHARE = {
  Name: 'host-config',
  AccessName: 'host-config',
  Path: 'C:\\uvm\\config',
  Port: 564,
  Flags: 0x4,
};
const VSMB_SHARE = {
  Name: 'layer-0',
  Path: 'C:\\ProgramData\\containerd\\layers\\0',
  Options: { ReadOnly: true, ShareRead: true, CacheIo: true, PseudoOplocks: true, NoLocks: true },
};

export interface Step {
  title: string;
  run(vm: UtilityVM, signal: AbortSignal): Promise<void>;
}

export const hotAdds: Step[] = [
  {
    title: `NIC ${NIC_ID}`,
    run: (vm, signal) =>
      vm.addNIC(NIC_ID, { EndpointId: ENDPOINT_ID, MacAddress: '00-15-5D-52-C0-01' }, { signal }),
  },
  {
    title: 'SCSI disk at controller 0 LUN 1',
    run: (vm, signal) =>
      vm.addSCSIDisk(
        { Type: 'VirtualDisk', Path: 'C:\\uvm\\scratch.vhdx', CachingMode: 'ReadOnlyCached' },
        0,
        1,
        {
          signal,
        },
      ),
  },
  {
    title: 'VPMem device 0 (a read-only layer)',
    run: (vm, signal) =>
      vm.addVPMemDevice(
        0,
        { HostPath: 'C:\\uvm\\layer0.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
        { signal },
      ),
  },
  { title: `Plan 9 share "${PLAN9_SHARE.Name}"`, run: (vm, signal) => vm.addPlan9(PLAN9_SHARE, { signal }) },
  { title: `VSMB share "${VSMB_SHARE.Name}"`, run: (vm, signal) => vm.addVSMB(VSMB_SHARE, { signal }) },
  {
    title: `HvSocket service ${SERVICE_ID}`,
    run: (vm, signal) =>
      vm.updateHvSocketService(
        SERVICE_ID,
        {
          AllowWildcardBinds: true,
          BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
          ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)',
        },
        { signal },
      ),
  },
  {
    title: 'CPU limits: Limit 50000, Weight 200',
    run: (vm, signal) => vm.updateCPULimits({ Limit: 50000, Weight: 200 }, { signal }),
  },
  { title: 'memory: 2048 MB', run: (vm, signal) => vm.updateMemory(2048, { signal }) },
];

export const removals: Step[] = [
  {
    title: `NIC ${NIC_ID}`,
    run: (vm, signal) => vm.removeNIC(NIC_ID, { EndpointId: ENDPOINT_ID }, { signal }),
  },
  { title: 'SCSI disk at controller 0 LUN 1', run: (vm, signal) => vm.removeSCSIDisk(0, 1, { signal }) },
  { title: 'VPMem device 0', run: (vm, signal) => vm.removeVPMemDevice(0, { signal }) },
  {
    title: `Plan 9 share "${PLAN9_SHARE.Name}"`,
    run: (vm, signal) => vm.removePlan9(PLAN9_SHARE, { signal }),
  },
  { title: `VSMB share "${VSMB_SHARE.Name}"`, run: (vm, signal) => vm.removeVSMB(VSMB_SHARE, { signal }) },
  {
    title: `HvSocket service ${SERVICE_ID}`,
    run: (vm, signal) => vm.removeHvSocketService(SERVICE_ID, { signal }),
  },
  { title: 'memory back to 1024 MB', run: (vm, signal) => vm.updateMemory(1024, { signal }) },
];
