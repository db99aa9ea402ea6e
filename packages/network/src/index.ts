/**
 * @packageDocumentation
 * `@uvmkit/network` — network adapter hot-add, remove and update for `UtilityVM`:
 * `addNIC(nicId, settings)`, `removeNIC(nicId, settings)`, `updateNIC(nicId, settings)`, through
 * HcsModifyComputeSystem on `VirtualMachine/Devices/NetworkAdapters/<nicId>` with the
 * `NetworkAdapter` document as Settings (also on Remove, as hcsshim sends it). The NIC id must be
 * a GUID; it is validated (and lower-cased) before anything is sent; failures are `HcsError`s
 * saying what was being done.
 *
 * Install once at the composition root: `UtilityVM.use(network)`. Importing this package changes
 * nothing. The functions are also exported on their own (`addNIC(vm, …)`).
 *
 * Does not own: HNS endpoints and namespaces (create the endpoint first; pass its id as
 * `EndpointId`), guest-side network configuration (guest requests), the VM's lifecycle
 * (`@uvmkit/lifetime`).
 */
import type { NetworkMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends NetworkMethods {}
}

export { addNIC, removeNIC, updateNIC } from './nic.js';
export { type NetworkMethods, network, networkMethods } from './plugin.js';
