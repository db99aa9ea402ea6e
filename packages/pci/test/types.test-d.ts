/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the pci methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import type { VirtualPciDevice } from '@uvmkit/hcs-schema';
import { addDevice, type PciMethods, pci } from '@uvmkit/pci';

declare const vm: UtilityVM;
declare const device: VirtualPciDevice;
const guid = '2f1e8a7c-5b4d-4e3f-9a2b-1c0d9e8f7a6b';

UtilityVM.use(pci);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addDevice(guid, { Functions: [{ DeviceInstancePath: 'PCIP\\VEN_10DE' }] });
const addedVf: Promise<void> = vm.addDevice(guid, {
  Functions: [{ DeviceInstancePath: 'PCI\\VEN_15B3', VirtualFunction: 3 }],
  PropagateNumaAffinity: true,
});
const removed: Promise<void> = vm.removeDevice(guid, { signal: AbortSignal.timeout(10), timeout: 5 });
const plain: Promise<void> = addDevice(vm, guid, device);
const fromType: PciMethods['removeDevice'] = vm.removeDevice;
void [added, addedVf, removed, plain, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addDevice(vm, guid, device);
// @ts-expect-error Functions is required
vm.addDevice(guid, {});
// @ts-expect-error DeviceInstancePath is required
vm.addDevice(guid, { Functions: [{ VirtualFunction: 1 }] });
// @ts-expect-error remove takes no settings
vm.removeDevice(guid, device);
// @ts-expect-error the methods resolve with nothing
const wrong: Promise<string> = vm.removeDevice(guid);
void wrong;
