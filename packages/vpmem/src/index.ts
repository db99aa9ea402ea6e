/**
 * @packageDocumentation
 * `@uvmkit/vpmem` — the VPMem manager for `UtilityVM`: hot-add and hot-remove virtual persistent
 * memory devices (`VirtualMachine/Devices/VirtualPMem/Devices/<n>`) and the images mapped into
 * them at a byte offset (`…/Devices/<n>/Mappings/<offset>`), with the documents hcsshim sends.
 *
 * Install once at the composition root: `UtilityVM.use(vpmem)`. Importing this package changes
 * nothing. Every function is also exported on its own (`addVPMemDevice(vm, 0, settings)`).
 *
 * Does not own: the VPMem controller itself (it is part of the VM's create document:
 * `Devices.VirtualPMem`), device-number allocation or image bookkeeping (the orchestrator above),
 * mounting the device in the guest (guestmanager), creating/starting the VM (hcs-core, lifetime).
 */
import type { VPMemMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends VPMemMethods {}
}

export { addVPMemDevice, removeVPMemDevice } from './device.js';
export { addVPMemMapping, removeVPMemMapping } from './mapping.js';
export { type VPMemMethods, vpmem, vpmemMethods } from './plugin.js';
