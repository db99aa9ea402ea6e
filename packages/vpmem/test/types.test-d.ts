/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the vpmem methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import { type VPMemMethods, vpmem } from '@uvmkit/vpmem';

declare const vm: UtilityVM;

UtilityVM.use(vpmem);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addVPMemDevice(0, {
  HostPath: 'C:\\l.vhd',
  ReadOnly: true,
  ImageFormat: 'Vhd1',
});
const removed: Promise<void> = vm.removeVPMemDevice(0, { timeout: 1000 });
const mapped: Promise<void> = vm.addVPMemMapping(
  0,
  4096,
  { HostPath: 'C:\\m.vhd' },
  { signal: AbortSignal.timeout(5) },
);
const unmapped: Promise<void> = vm.removeVPMemMapping(0, 4096);
const fromType: VPMemMethods['addVPMemDevice'] = vm.addVPMemDevice;
void [added, removed, mapped, unmapped, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.removeVPMemDevice(vm, 0);
// @ts-expect-error device numbers are numbers
vm.removeVPMemDevice('0');
// @ts-expect-error HostPath is required
vm.addVPMemDevice(0, { ReadOnly: true });
// @ts-expect-error ImageFormat must be one of the schema's values
vm.addVPMemDevice(0, { HostPath: 'C:\\l.vhd', ImageFormat: 'Qcow2' });
// @ts-expect-error a mapping has no ReadOnly
vm.addVPMemMapping(0, 0, { HostPath: 'C:\\m.vhd', ReadOnly: true });
// @ts-expect-error the offset is required
vm.removeVPMemMapping(0);
// @ts-expect-error no such method
vm.addVPMemDisk(0);
