/**
 * @packageDocumentation
 * `@uvmkit/pci` — virtual PCI device assignment (DDA, GPUs, NICs' VFs) for `UtilityVM`:
 * `addDevice(vmbusGuid, settings)` and `removeDevice(vmbusGuid)`, through HcsModifyComputeSystem
 * on `VirtualMachine/Devices/VirtualPci/<vmbusGuid>`. Add sends the `VirtualPciDevice`; Remove
 * sends no Settings. The GUID is validated (and lower-cased) before anything is sent; failures
 * are `HcsError`s saying what was being done.
 *
 * Install once at the composition root: `UtilityVM.use(pci)`. Importing this package changes
 * nothing. The functions are also exported on their own (`addDevice(vm, …)`).
 *
 * Does not own: finding or dismounting host devices, choosing VMBus GUIDs, reference counting
 * assignments, guest-side device setup (guest requests), the VM's lifecycle (`@uvmkit/lifetime`).
 */
import type { PciMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends PciMethods {}
}

export { addDevice, removeDevice } from './device.js';
export { type PciMethods, pci, pciMethods } from './plugin.js';
