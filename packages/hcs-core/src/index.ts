/**
 * @packageDocumentation
 * `@uvmkit/hcs-core` — TypeScript bindings for the Windows Host Compute Service (computecore)
 * over koffi, and the `UtilityVM` that manager packages extend.
 *
 * Owns: loading computecore (`computecore.dll` on Windows; `$UVMKIT_HCS_LIBRARY` or the
 * `@uvmkit/hcs-emulator` shim elsewhere), the declaration of every export, the HRESULT →
 * {@link HcsError} taxonomy and predicates, `Operation` (in `@uvmkit/hcs-core/manager`; completion by callback,
 * cancellation, timeouts), {@link ComputeSystem} (handle wrapper, events, idempotent close),
 * {@link UtilityVM} (`create`/`open`, validated `modify`, exit events) and its plugin registry
 * (`UtilityVM.use`), an injected {@link Logger}.
 *
 * This root export is the consumer API. What manager packages build on (`modifyResource`,
 * `definePlugin`, `Operation`, `TypedEvents`, `PLUGINS`, `UVM_SYSTEM`, option and error helpers)
 * is `@uvmkit/hcs-core/manager`.
 *
 * Does not own: resource-specific documents and lifecycle verbs (manager packages such as
 * `@uvmkit/lifetime`, `@uvmkit/scsi`), schema types and validators (`@uvmkit/hcs-schema`),
 * guest-side actions (guestmanager), host or guest state (the orchestrator above).
 */
export {
  ComputeSystem,
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
  type HcsErrorCode,
  type HcsErrorEvent,
  type HcsErrorOptions,
  type HcsLocalCodes,
  HRESULT,
  type HresultCode,
  type HresultName,
  hresultEquals,
  hresultName,
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
} from './errors.js';
export type { ExitWaitOptions, Subscription, WaitOptions } from './events.js';
export { childLogger, type LogFields, type Logger, silentLogger } from './logger.js';
export { type CoreCopy, coreCopies } from './native/load.js';
export { type CallOptions, MAX_TIMEOUT_MS } from './options.js';
export type { Plugin } from './plugins.js';
export { HcsService, type ServiceCallOptions } from './service.js';
export {
  type TraceContext,
  TracingChannels,
  VM_STATE_CHANNEL,
  type VmStateMessage,
} from './tracing.js';
export {
  type CreateOptions,
  type OpenUtilityVMOptions,
  requireManager,
  systemOf,
  UtilityVM,
} from './utility-vm.js';
export { CORE_VERSION } from './version.js';
