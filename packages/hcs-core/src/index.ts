/**
 * @packageDocumentation
 * `@uvmkit/hcs-core` — TypeScript bindings for the Windows Host Compute Service (computecore)
 * over koffi, and the `UtilityVM` that manager packages extend.
 *
 * Owns: loading computecore (`computecore.dll` on Windows; `$UVMKIT_HCS_LIBRARY` or the
 * `@uvmkit/hcs-emulator` shim elsewhere), the declaration of every export, the HRESULT →
 * {@link HcsError} taxonomy and predicates, {@link Operation} (completion by callback,
 * cancellation, timeouts), {@link ComputeSystem} (handle wrapper, events, idempotent close),
 * {@link UtilityVM} (`create`/`open`, validated `modify`, exit events) and its plugin registry
 * (`UtilityVM.use`), an injected {@link Logger}.
 *
 * Does not own: resource-specific documents and lifecycle verbs (manager packages such as
 * `@uvmkit/lifetime`, `@uvmkit/scsi`), schema types and validators (`@uvmkit/hcs-schema`),
 * guest-side actions (guestmanager), host or guest state (the orchestrator above).
 */
export {
  ComputeSystem,
  checkSystemId,
  HcsEventType,
  type JsonDocument,
  type OpenOptions,
  type RawSystemEvent,
  type SystemEvents,
  type SystemExitStatus,
} from './compute-system.js';
export {
  ClosedError,
  canonicalHresult,
  formatHresult,
  HcsError,
  type HcsErrorEvent,
  type HcsErrorOptions,
  HRESULT,
  type HresultName,
  hresultEquals,
  hresultName,
  invalidArgument,
  isAborted,
  isAccessDenied,
  isAlreadyExists,
  isAlreadyStopped,
  isClosed,
  isHcsError,
  isInvalidArgument,
  isInvalidHandle,
  isInvalidState,
  isNotFound,
  isNotSupported,
  isPending,
  isServiceDisconnect,
  isTimeout,
  isUnavailable,
  LocalCode,
  type ResultErrorDocument,
  withContext,
} from './errors.js';
export { type Subscription, TypedEvents, type WaitOptions } from './events.js';
export { childLogger, type LogFields, type Logger, silentLogger } from './logger.js';
export { modifyResource } from './manager.js';
export { type CoreCopy, coreCopies } from './native/load.js';
export { Operation, type OperationContext, parseResultError } from './operation.js';
export {
  abortedError,
  type CallOptions,
  checkCallOptions,
  MAX_TIMEOUT_MS,
  timeoutError,
} from './options.js';
export {
  definePlugin,
  type InstalledMethods,
  PLUGINS,
  type Plugin,
  type PluginMethod,
  satisfies,
} from './plugins.js';
export { HcsService, type ServiceCallOptions } from './service.js';
export {
  type TraceContext,
  type TraceStart,
  TracingChannels,
  traced,
  VM_STATE_CHANNEL,
  type VmStateMessage,
} from './tracing.js';
export {
  type CreateOptions,
  type OpenUtilityVMOptions,
  requireManager,
  systemOf,
  UtilityVM,
  UVM_SYSTEM,
} from './utility-vm.js';
export { CORE_VERSION } from './version.js';
