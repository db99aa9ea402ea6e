/**
 * @packageDocumentation
 * `@uvmkit/plan9` — Plan 9 (9p over vsock) directory shares for `UtilityVM`: `addPlan9(share)` and
 * `removePlan9(share)`, through HcsModifyComputeSystem on `VirtualMachine/Devices/Plan9/Shares`.
 * Add sends the `Plan9Share`; Remove sends `{Name, AccessName, Port}` as hcsshim does. The share
 * is validated before anything is sent; failures are `HcsError`s saying what was being done.
 *
 * Install once at the composition root: `UtilityVM.use(plan9)`. Importing this package changes
 * nothing. The functions are also exported on their own (`addPlan9(vm, share)`).
 *
 * Does not own: choosing share names or ports, reference counting shares, mounting inside the
 * guest (guest requests), the VM's lifecycle (`@uvmkit/lifetime`).
 */
import type { Plan9Methods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends Plan9Methods {}
}

export { type Plan9Methods, plan9, plan9Methods } from './plugin.js';
export { addPlan9, removePlan9 } from './share.js';
