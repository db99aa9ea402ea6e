/**
 * @packageDocumentation
 * `@uvmkit/vsmb` — the virtual SMB (VSMB) share manager for `UtilityVM`: add, remove and update
 * host directories shared with the VM over VMBus (`VirtualMachine/Devices/VirtualSmb/Shares`),
 * with the documents hcsshim sends (Remove: `{Name}`; Update: the share, of which HCS changes
 * only `AllowedFiles`).
 *
 * Install once at the composition root: `UtilityVM.use(vsmb)`. Importing this package changes
 * nothing. Every function is also exported on its own (`addVSMB(vm, share)`).
 *
 * Does not own: share naming, reference counting or de-duplication of host paths (the
 * orchestrator above), mounting the share in the guest (guestmanager), the VM's
 * `Devices.VirtualSmb` create-time settings (hcs-core's create document).
 */
import type { VSMBMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends VSMBMethods {}
}

export { type VSMBMethods, vsmb, vsmbMethods } from './plugin.js';
export { addVSMB, removeVSMB, updateVSMB } from './share.js';
