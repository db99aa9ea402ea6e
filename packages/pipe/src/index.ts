/**
 * @packageDocumentation
 * `@uvmkit/pipe` — host named-pipe mapping for `UtilityVM`: `addPipe(hostPath)` and
 * `removePipe(hostPath)`, through HcsModifyComputeSystem on
 * `VirtualMachine/Devices/MappedPipes/<hostPath>` with no Settings. The host path
 * (`\\.\pipe\<name>`) is validated before anything is sent; failures are `HcsError`s saying what
 * was being done.
 *
 * Install once at the composition root: `UtilityVM.use(pipe)`. Importing this package changes
 * nothing. The functions are also exported on their own (`addPipe(vm, hostPath)`).
 *
 * Does not own: creating or serving the host pipe, where the pipe appears in the guest (guest
 * requests), reference counting mappings, the VM's lifecycle (`@uvmkit/lifetime`).
 */
import type { PipeMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends PipeMethods {}
}

export { addPipe, removePipe } from './pipe.js';
export { type PipeMethods, pipe, pipeMethods } from './plugin.js';
