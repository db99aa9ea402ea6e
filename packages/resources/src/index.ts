/**
 * @packageDocumentation
 * `@uvmkit/resources` — the compute-resource manager for `UtilityVM`: move the VM into (or out
 * of) a host CPU group, update its processor limits, resize its memory — the
 * `VirtualMachine/ComputeTopology/...` paths, sent as hcsshim sends them (no RequestType; memory
 * Settings is a bare number).
 *
 * Install once at the composition root: `UtilityVM.use(resources)`. Importing this package
 * changes nothing. Every function is also exported on its own (`updateMemory(vm, 2048)`).
 *
 * Does not own: creating or deleting host CPU groups (HcsModifyServiceSettings), the initial
 * topology (the create document), idled processors / GPU / power caps, guest-side memory
 * hot-add handling (guestmanager), retry policy.
 */
import type { ResourcesMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends ResourcesMethods {}
}

export { setCPUGroup } from './cpu-group.js';
export { updateCPULimits } from './cpu-limits.js';
export { updateMemory } from './memory.js';
export { type ResourcesMethods, resources, resourcesMethods } from './plugin.js';
