/**
 * `@uvmkit/hcs-core/manager` — what manager packages (`@uvmkit/scsi`, `@uvmkit/lifetime`,
 * `@uvmkit/guestmanager`, a third-party manager) build on. Applications import the root
 * `@uvmkit/hcs-core`; nothing here is needed to use a UtilityVM.
 *
 * - the plugin contract: {@link definePlugin}, {@link InstalledMethods}, {@link PluginMethod},
 *   the registry key {@link PLUGINS}, the core-range check {@link satisfies} (npm `semver`), and
 *   {@link installMethods} for a manager's own class (through the same registry);
 * - the one shape of a manager call: {@link modifyResource} (a typed `ModifySettingRequest`,
 *   validated once), {@link withContext} for any other failure, {@link invalidArgument};
 * - the handle: {@link systemOf} (also on the root) and the {@link UVM_SYSTEM} key;
 * - calls outside `ComputeSystem`: {@link Operation}, {@link parseResultError};
 * - options and errors every call shares: {@link checkCallOptions}, {@link abortedError},
 *   {@link timeoutError}, {@link checkSystemId};
 * - {@link TypedEvents}: the typed listener set with `emit` (guestmanager's bridge and guest use it).
 */
export { checkSystemId } from './compute-system.js';
export { invalidArgument, withContext } from './errors.js';
export { TypedEvents } from './events.js';
export { modifyResource } from './modify-resource.js';
export { Operation, type OperationContext, parseResultError } from './operation.js';
export { abortedError, checkCallOptions, timeoutError } from './options.js';
export {
  definePlugin,
  type InstalledMethods,
  installMethods,
  PLUGINS,
  type Plugin,
  type PluginMethod,
  satisfies,
} from './plugins.js';
export { type TraceStart, traced } from './tracing.js';
export { systemOf, UVM_SYSTEM } from './utility-vm.js';
