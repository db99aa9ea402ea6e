/**
 * @packageDocumentation
 * `@uvmkit/vmsocket` — the HvSocket (AF_HYPERV / vsock) service-table manager for `UtilityVM`:
 * create, update and remove the per-service bind/connect security descriptors under
 * `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/<serviceId>`, with the documents
 * hcsshim sends (Update: the HvSocketServiceConfig; Remove: no Settings).
 *
 * Install once at the composition root: `UtilityVM.use(vmsocket)`. Importing this package changes
 * nothing. Every function is also exported on its own (`updateHvSocketService(vm, id, config)`).
 *
 * Does not own: the default descriptors and initial service table (the VM's create document),
 * opening or listening on sockets (host or guest code), the GCS bridge (guestmanager).
 */
import type { VMSocketMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends VMSocketMethods {}
}

export { type VMSocketMethods, vmsocket, vmsocketMethods } from './plugin.js';
export { removeHvSocketService, updateHvSocketService } from './service.js';
