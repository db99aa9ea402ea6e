/** Type test: with only scsi and network installed, UtilityVM has their members and no others. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import '@uvmkit/network';
import '@uvmkit/scsi';

declare const vm: UtilityVM;

export const installed: Promise<void>[] = [
  vm.addSCSIDisk({ Type: 'VirtualDisk', Path: 'C:\\d.vhdx' }, 0, 1),
  vm.removeSCSIDisk(0, 1),
];
export const nicMethods = [vm.addNIC, vm.removeNIC, vm.updateNIC];

// @ts-expect-error vpmem is not installed
vm.addVPMemDevice;
// @ts-expect-error plan9 is not installed
vm.addPlan9;
// @ts-expect-error vsmb is not installed
vm.addVSMB;
// @ts-expect-error resources is not installed
vm.updateMemory;
// @ts-expect-error lifetime is not installed
vm.start;
// @ts-expect-error scsi's methods keep their parameter types
vm.addSCSIDisk({ Type: 'Floppy', Path: 'x' }, 0, 1);
