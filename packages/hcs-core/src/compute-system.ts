/**
 * `ComputeSystem`: a wrapper over one `HCS_SYSTEM` handle.
 *
 * - Every call of hcs-api.md §1b goes through {@link Operation.run} (completion callback, abort
 *   → HcsCancelOperation + wait). Blocking exports (open, close) run on hcs-core's own worker
 *   threads (native/blocking.ts), never on the libuv pool.
 * - The event callback is ONE koffi-registered function for the process; its context is a small
 *   integer id into a map of per-handle event hubs (never a pointer). It is set right after
 *   create/open, before anything can produce events. Events become typed `SystemEvents`.
 * - `close()` is idempotent: it refuses new calls, waits for in-flight ones, then calls
 *   `HcsCloseComputeSystem` off the JS thread (it drains running callbacks, which need the JS
 *   thread). Afterwards every method rejects with `ClosedError`.
 * - A FinalizationRegistry closes a handle whose wrapper was garbage-collected unclosed, and logs
 *   a warning.
 */
import { ClosedError, HcsError, HRESULT, invalidArgument, LocalCode } from './errors.js';
import { type ExitWaitOptions, type Subscription, TypedEvents } from './events.js';
import { holdProcess } from './keep-alive.js';
import { childLogger, type Logger, silentLogger } from './logger.js';
import { withinDeadline } from './native/blocking.js';
import type { CallbackPointer, ExportName, Out, Pointer, SystemHandle } from './native/computecore.js';
import type { Native } from './native/load.js';
import { Operation, operationEngine } from './operation.js';
import { abortedError, type CallOptions, checkCallOptions } from './options.js';
import { publishState, TracingChannels, traced } from './tracing.js';

/** `HCS_EVENT_TYPE` values (uint32). */
export const HcsEventType = {
  Invalid: 0x00000000,
  SystemExited: 0x00000001,
  SystemCrashInitiated: 0x00000002,
  SystemCrashReport: 0x00000003,
  SystemRdpEnhancedModeStateChanged: 0x00000004,
  SystemSiloJobCreated: 0x00000005,
  SystemGuestConnectionClosed: 0x00000006,
  ProcessExited: 0x00010000,
  OperationCallback: 0x01000000,
  ServiceDisconnect: 0x02000000,
  GroupVmLifecycle: 0x80000002,
  GroupLiveMigration: 0x80000003,
  GroupOperationInfo: 0xc0000001,
} as const;

/** `SystemExitStatus` (hcs-api.md §3). */
export interface SystemExitStatus {
  /** HRESULT (signed, as HCS sends it). */
  readonly Status: number;
  /** `"GracefulExit"`, `"ForcedExit"`, `"UnexpectedExit"`, `"None"`, `"Unknown"`. */
  readonly ExitType?: string;
  readonly Attribution?: readonly Record<string, unknown>[];
}

/** Any event, as received. */
export interface RawSystemEvent {
  /** `HCS_EVENT_TYPE` (uint32). */
  readonly type: number;
  /** `EventData` (JSON text) or `undefined` when NULL. */
  readonly data: string | undefined;
}

/** The typed events of one compute-system handle. */
export interface SystemEvents {
  /** `HcsEventSystemExited` (delivered once). */
  exit: SystemExitStatus;
  /** `HcsEventSystemCrashInitiated` (the CrashReport, parsed). */
  crashInitiated: Record<string, unknown> | undefined;
  /** `HcsEventSystemCrashReport` (the CrashReport, parsed). */
  crashReport: Record<string, unknown> | undefined;
  /** `HcsEventSystemGuestConnectionClosed`. */
  guestConnectionClosed: undefined;
  /** `HcsEventServiceDisconnect`: the compute service went away; the handle is unusable. */
  serviceDisconnect: undefined;
  /** `HcsEventGroupLiveMigration` (payload parsed; `undefined` for NULL EventData). */
  liveMigration: Record<string, unknown> | undefined;
  /** Every event, including the ones above. */
  event: RawSystemEvent;
}

/** Options of create/open. */
export interface OpenOptions extends CallOptions {
  logger?: Logger | undefined;
}

/** `requestedAccess` for HcsOpenComputeSystem. */
const GENERIC_ALL = 0x10000000;
const MAX_ID_LENGTH = 256;

/**
 * Validate a compute-system id: a non-empty string of at most 256 characters without control
 * characters (U+0000–U+001F, U+007F–U+009F) and without unpaired UTF-16 surrogates.
 */
export function checkSystemId(op: string, id: unknown): asserts id is string {
  if (typeof id !== 'string') throw invalidArgument(op, `id must be a string, got ${typeof id}`);
  if (id.length === 0) throw invalidArgument(op, 'id must not be empty');
  if (id.length > MAX_ID_LENGTH) {
    throw invalidArgument(op, `id must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this is the check
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id))
    throw invalidArgument(op, 'id must not contain control characters');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id))
    throw invalidArgument(op, 'id must not contain unpaired surrogates');
}

function toDocument(op: string, name: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
    } catch {
      throw invalidArgument(op, `${name} is not valid JSON`);
    }
    return value;
  }
  if (typeof value !== 'object') throw invalidArgument(op, `${name} must be an object or a JSON string`);
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw invalidArgument(op, `${name} cannot be serialised to JSON`, err);
  }
}

function parseJson(doc: string | undefined): Record<string, unknown> | undefined {
  if (doc === undefined || doc === '') return undefined;
  try {
    const v: unknown = JSON.parse(doc);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Per-handle state reachable from the event callback (never references the ComputeSystem). */
class SystemHub {
  readonly events: TypedEvents<SystemEvents>;
  exitStatus: SystemExitStatus | undefined;
  exitedAt: Date | undefined;
  disconnected = false;
  readonly id: string;
  constructor(logger: Logger, id: string) {
    this.events = new TypedEvents<SystemEvents>(logger);
    this.id = id;
  }
}

interface EventEngine {
  native: Native;
  callback: CallbackPointer;
  hubs: Map<number, SystemHub>;
  nextId: number;
}

let eventEngine: EventEngine | undefined;

async function getEventEngine(): Promise<EventEngine> {
  if (eventEngine !== undefined) return eventEngine;
  const { native } = await operationEngine();
  if (eventEngine !== undefined) return eventEngine;
  const hubs = new Map<number, SystemHub>();
  const onEvent = (eventPtr: Pointer, context: Pointer): void => {
    try {
      const hub = hubs.get(Number(context));
      if (hub === undefined || eventPtr === null) return;
      const ev = native.decodeEvent(eventPtr);
      const raw: RawSystemEvent = { type: ev.Type >>> 0, data: ev.EventData ?? undefined };
      // Hand over to a later tick: the native thread waits until this function returns.
      setImmediate(() => dispatch(hub, raw));
    } catch {
      // never let an exception reach koffi's callback trampoline
    }
  };
  const callback = native.register(onEvent, native.types.eventCallbackPointer) as CallbackPointer;
  eventEngine = { native, callback, hubs, nextId: 1 };
  return eventEngine;
}

function dispatch(hub: SystemHub, raw: RawSystemEvent): void {
  const { events } = hub;
  events.emit('event', raw);
  switch (raw.type) {
    case HcsEventType.SystemExited: {
      if (hub.exitStatus !== undefined) return; // delivered once
      const parsed = parseJson(raw.data) ?? {};
      const status: SystemExitStatus = {
        ...(parsed as object),
        Status: typeof parsed.Status === 'number' ? parsed.Status : 0,
      } as SystemExitStatus;
      hub.exitStatus = status;
      hub.exitedAt = new Date();
      publishState({ vmId: hub.id, state: 'Stopped', cause: 'SystemExited', exitType: status.ExitType });
      events.emit('exit', status);
      return;
    }
    case HcsEventType.SystemCrashInitiated:
      events.emit('crashInitiated', parseJson(raw.data));
      return;
    case HcsEventType.SystemCrashReport:
      events.emit('crashReport', parseJson(raw.data));
      return;
    case HcsEventType.SystemGuestConnectionClosed:
      events.emit('guestConnectionClosed', undefined);
      return;
    case HcsEventType.ServiceDisconnect:
      if (hub.disconnected) return;
      hub.disconnected = true;
      events.emit('serviceDisconnect', undefined);
      return;
    case HcsEventType.GroupLiveMigration:
      events.emit('liveMigration', parseJson(raw.data));
      return;
    default:
      return;
  }
}

interface LeakRecord {
  native: Native;
  handle: SystemHandle;
  contextId: number;
  id: string;
  logger: Logger;
  hubs: Map<number, SystemHub>;
}

const leakRegistry = new FinalizationRegistry<LeakRecord>((r) => {
  r.logger.warn('compute system handle was not closed; closing it', { id: r.id });
  r.native.blocking.run({ kind: 'close', handle: r.handle }).then(
    (res) => {
      r.hubs.delete(r.contextId);
      if (res.error !== undefined)
        r.logger.error('HcsCloseComputeSystem failed', { id: r.id, err: res.error });
    },
    (err: unknown) => r.logger.error('HcsCloseComputeSystem failed', { id: r.id, err }),
  );
});

/** A settled-or-pending promise resolved by `close()` or `exit`. */
/** The error of a call that the service disconnect ended (`HCS_E_SERVICE_DISCONNECT`). */
/** `HcsEventOptionEnableLiveMigrationEvents`: hcsshim sets it on every handle (hcs-api.md §3). */
const HCS_EVENT_OPTION_ENABLE_LIVE_MIGRATION_EVENTS = 0x4;

function disconnectError(op: string, id: string): HcsError {
  return HcsError.fromHresult(HRESULT.HCS_E_SERVICE_DISCONNECT, op, { id });
}

type SystemOpExport =
  | 'HcsStartComputeSystem'
  | 'HcsShutDownComputeSystem'
  | 'HcsTerminateComputeSystem'
  | 'HcsCrashComputeSystem'
  | 'HcsPauseComputeSystem'
  | 'HcsResumeComputeSystem'
  | 'HcsSaveComputeSystem'
  | 'HcsGetComputeSystemProperties'
  | 'HcsInitializeLiveMigrationOnSource'
  | 'HcsStartLiveMigrationOnSource'
  | 'HcsStartLiveMigrationTransfer'
  | 'HcsFinalizeLiveMigration'
  | 'HcsCancelLiveMigration';

/** A JSON document given as an object or as JSON text. */
export type JsonDocument = object | string;

/** One open `HCS_SYSTEM` handle. */
export class ComputeSystem {
  /** The compute system id. */
  readonly id: string;
  readonly #native: Native;
  readonly #handle: SystemHandle;
  readonly #contextId: number;
  readonly #hub: SystemHub;
  readonly #hubs: Map<number, SystemHub>;
  readonly #logger: Logger;
  #inflight = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  /** Rejecters of pending `waitForExit` calls, told when the handle closes first. */
  readonly #closeWaiters = new Set<(err: ClosedError) => void>();

  private constructor(
    id: string,
    native: Native,
    handle: SystemHandle,
    contextId: number,
    hub: SystemHub,
    hubs: Map<number, SystemHub>,
    logger: Logger,
  ) {
    this.id = id;
    this.#native = native;
    this.#handle = handle;
    this.#contextId = contextId;
    this.#hub = hub;
    this.#hubs = hubs;
    this.#logger = logger;
    leakRegistry.register(this, { native, handle, contextId, id, logger, hubs }, this);
  }

  static #bind(
    engine: EventEngine,
    id: string,
    handle: SystemHandle,
    logger: Logger,
  ): { hub: SystemHub; contextId: number; hr: number } {
    const contextId = engine.nextId++;
    const hub = new SystemHub(logger, id);
    engine.hubs.set(contextId, hub);
    const hr =
      engine.native.cc.HcsSetComputeSystemCallback(
        handle,
        HCS_EVENT_OPTION_ENABLE_LIVE_MIGRATION_EVENTS,
        contextId,
        engine.callback,
      ) >>> 0;
    if ((hr | 0) < 0) engine.hubs.delete(contextId);
    return { hub, contextId, hr };
  }

  /**
   * `HcsCreateComputeSystem`. `configuration` is sent as given (an object is serialised); schema
   * validation is the caller's job (UtilityVM.create validates). On failure the handle is closed.
   * Abort: cancel requested; if creation completed anyway the system is returned (see Operation).
   */
  static async create(
    id: string,
    configuration: JsonDocument,
    options: OpenOptions = {},
  ): Promise<ComputeSystem> {
    const op = 'HcsCreateComputeSystem';
    checkSystemId(op, id);
    const config = toDocument(op, 'configuration', configuration);
    if (config === null) throw invalidArgument(op, 'configuration is required');
    checkCallOptions(op, options);
    const logger = childLogger(options.logger ?? silentLogger, { uvmId: id });
    const engine = await getEventEngine();
    const out: Out<SystemHandle> = [null];
    let bound: { hub: SystemHub; contextId: number; hr: number } | undefined;
    try {
      await Operation.run(
        op,
        (n, operation) => {
          const hr = n.cc.HcsCreateComputeSystem(id, config, operation, null, out);
          if ((hr | 0) >= 0 && out[0] !== null && out[0] !== 0n) {
            bound = ComputeSystem.#bind(engine, id, out[0], logger);
          }
          return hr;
        },
        options,
        { id, logger },
      );
    } catch (err) {
      if (out[0] !== null && out[0] !== 0n) {
        await engine.native.blocking.run({ kind: 'close', handle: out[0] });
        if (bound !== undefined) engine.hubs.delete(bound.contextId);
      }
      throw err;
    }
    if (out[0] === null || out[0] === 0n || bound === undefined) {
      throw new HcsError(LocalCode.UnexpectedResult, `${op} ${JSON.stringify(id)} returned no handle`, {
        op,
        id,
      });
    }
    const cs = new ComputeSystem(id, engine.native, out[0], bound.contextId, bound.hub, engine.hubs, logger);
    if ((bound.hr | 0) < 0) {
      await cs.close();
      throw HcsError.fromHresult(bound.hr, 'HcsSetComputeSystemCallback', { id });
    }
    logger.debug('compute system created');
    return cs;
  }

  /**
   * `HcsOpenComputeSystem` (a synchronous export, run on hcs-core's own worker thread). `timeout`
   * is a deadline and aborting stops waiting: the call rejects with `Timeout` / `Aborted` at once,
   * and a handle the open still returns is closed.
   */
  static async open(id: string, options: OpenOptions = {}): Promise<ComputeSystem> {
    const op = 'HcsOpenComputeSystem';
    checkSystemId(op, id);
    checkCallOptions(op, options);
    const logger = childLogger(options.logger ?? silentLogger, { uvmId: id });
    const engine = await getEventEngine();
    if (options.signal?.aborted) throw abortedError(op, options.signal.reason, id);
    const { native } = engine;
    const res = await traced(TracingChannels.hcsCall, { vmId: id, operation: op }, () =>
      withinDeadline(
        native.blocking.run({ kind: 'open', id, access: GENERIC_ALL }),
        op,
        id,
        options,
        (late) => {
          if ((late.hr | 0) >= 0 && late.handle)
            void native.blocking.run({ kind: 'close', handle: late.handle });
        },
      ).then((r) => {
        if (r.error !== undefined)
          throw new HcsError(LocalCode.UnexpectedResult, `${op}: ${r.error}`, { op, id });
        const hr = r.hr >>> 0;
        if ((hr | 0) < 0) throw HcsError.fromHresult(hr, op, { id });
        return r;
      }),
    );
    const handle = (res.handle ?? null) as SystemHandle | null;
    if (handle === null || handle === 0n) {
      throw new HcsError(LocalCode.UnexpectedResult, `${op} ${JSON.stringify(id)} returned no handle`, {
        op,
        id,
      });
    }
    const bound = ComputeSystem.#bind(engine, id, handle, logger);
    const cs = new ComputeSystem(id, engine.native, handle, bound.contextId, bound.hub, engine.hubs, logger);
    if ((bound.hr | 0) < 0) {
      await cs.close();
      throw HcsError.fromHresult(bound.hr, 'HcsSetComputeSystemCallback', { id });
    }
    if (options.signal?.aborted) {
      await cs.close();
      throw abortedError(op, options.signal.reason, id);
    }
    return cs;
  }

  /** `HcsEnumerateComputeSystems`: the `Properties` of every system matching `query` (a SystemQuery). */
  static async enumerate(
    query?: JsonDocument,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>[]> {
    const op = 'HcsEnumerateComputeSystems';
    const q = toDocument(op, 'query', query);
    const doc = await Operation.run(
      op,
      (n, operation) => n.cc.HcsEnumerateComputeSystems(q, operation),
      options,
    );
    if (doc === undefined || doc === '') return [];
    const parsed: unknown = JSON.parse(doc);
    if (!Array.isArray(parsed)) {
      throw new HcsError(LocalCode.UnexpectedResult, `${op} returned a non-array document`, { op });
    }
    return parsed as Record<string, unknown>[];
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The exit status, once the `exit` event arrived. */
  get exitStatus(): SystemExitStatus | undefined {
    return this.#hub.exitStatus;
  }

  /** When the `exit` event arrived. */
  get exitedAt(): Date | undefined {
    return this.#hub.exitedAt;
  }

  /** Whether the compute service disconnected (`serviceDisconnect` event seen). */
  get disconnected(): boolean {
    return this.#hub.disconnected;
  }

  /** Typed events of this handle (`on`, `once`, `iterate`). */
  get events(): Pick<TypedEvents<SystemEvents>, 'on' | 'once' | 'iterate'> {
    return this.#hub.events;
  }

  /** Subscribe to `exit`. If the system already exited, `listener` is called on the next tick. */
  onExit(listener: (status: SystemExitStatus) => void): Subscription {
    const sub = this.#hub.events.on('exit', listener);
    const status = this.#hub.exitStatus;
    if (status !== undefined) {
      setImmediate(() => {
        try {
          listener(status);
        } catch (err) {
          this.#logger.error('an exit listener threw', { err });
        }
      });
    }
    return sub;
  }

  /**
   * Resolves with the exit status when the system exits (at once if it already did). Rejects with
   * `ClosedError` if the handle is closed first, with `HCS_E_SERVICE_DISCONNECT` if the service
   * disconnects, with `Aborted` when `signal` aborts. While pending it keeps the process alive
   * unless `ref: false`.
   */
  waitForExit(options: ExitWaitOptions = {}): Promise<SystemExitStatus> {
    const op = 'waitForExit';
    const { signal } = options;
    if (this.#hub.exitStatus !== undefined) return Promise.resolve(this.#hub.exitStatus);
    if (this.#closing !== undefined)
      return Promise.reject(new ClosedError(`compute system ${JSON.stringify(this.id)}`, op));
    if (this.#hub.disconnected) return Promise.reject(disconnectError(op, this.id));
    if (signal?.aborted) return Promise.reject(abortedError(op, signal.reason, this.id));
    // No closure below may reference `this` (not even one that is never registered: closures share
    // their scope): the hub's listeners live in a module-wide map, and a reference from there
    // would keep a leaked handle from ever being finalized.
    const id = this.id;
    const waiters = this.#closeWaiters;
    const events = this.#hub.events;
    return new Promise<SystemExitStatus>((resolve, reject) => {
      const subs: Subscription[] = [];
      const unhold = options.ref === false ? undefined : holdProcess();
      const cleanup = (): void => {
        unhold?.();
        for (const s of subs) s.dispose();
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(onClose);
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortedError(op, signal?.reason, id));
      };
      const onClose = (err: ClosedError): void => {
        cleanup();
        reject(err);
      };
      subs.push(
        events.on('exit', (status) => {
          cleanup();
          resolve(status);
        }),
        events.on('serviceDisconnect', () => {
          cleanup();
          reject(disconnectError(op, id));
        }),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(onClose);
    });
  }

  /** @internal Count a call in flight; throws ClosedError after close(). */
  #enter(op: string): void {
    if (this.#closing !== undefined) throw new ClosedError(`compute system ${JSON.stringify(this.id)}`, op);
    this.#inflight++;
  }

  #leave(): void {
    if (--this.#inflight === 0) this.#idle?.();
  }

  async #run(
    op: string,
    submit: (n: Native, operation: never) => number,
    options: CallOptions | undefined,
  ): Promise<string | undefined> {
    this.#enter(op);
    try {
      return await Operation.run(op, submit as never, options, { id: this.id, logger: this.#logger });
    } finally {
      this.#leave();
    }
  }

  async #simple(
    name: SystemOpExport,
    document: JsonDocument | undefined,
    options: CallOptions | undefined,
  ): Promise<string | undefined> {
    if (this.#closing !== undefined) throw new ClosedError(`compute system ${JSON.stringify(this.id)}`, name);
    const doc = toDocument(name, 'options', document);
    const handle = this.#handle;
    return this.#run(
      name,
      (n, operation) =>
        (n.cc[name as ExportName] as (a: unknown, b: unknown, c: unknown) => number)(handle, operation, doc),
      options,
    );
  }

  /** `HcsStartComputeSystem` (options: StartOptions, usually none). */
  async start(startOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsStartComputeSystem', startOptions, options);
  }
  /** `HcsShutDownComputeSystem` (options: ShutdownOptions). Completes when the request was processed; the exit arrives as an event. */
  async shutdown(shutdownOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsShutDownComputeSystem', shutdownOptions, options);
  }
  /** `HcsTerminateComputeSystem`. The exit arrives as an event. */
  async terminate(terminateOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsTerminateComputeSystem', terminateOptions, options);
  }
  /** `HcsCrashComputeSystem` (options: CrashOptions). */
  async crash(crashOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsCrashComputeSystem', crashOptions, options);
  }
  /** `HcsPauseComputeSystem` (options: PauseOptions). */
  async pause(pauseOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsPauseComputeSystem', pauseOptions, options);
  }
  /** `HcsResumeComputeSystem`. */
  async resume(resumeOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsResumeComputeSystem', resumeOptions, options);
  }
  /** `HcsSaveComputeSystem` (options: SaveOptions). */
  async save(saveOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsSaveComputeSystem', saveOptions, options);
  }
  /** `HcsGetComputeSystemProperties`: the parsed `Properties` document for `query` (a PropertyQuery). */
  async getProperties(query?: JsonDocument, options?: CallOptions): Promise<Record<string, unknown>> {
    const op = 'HcsGetComputeSystemProperties';
    const doc = await this.#simple(op, query, options);
    const parsed = parseJson(doc);
    if (parsed === undefined || Array.isArray(parsed)) {
      throw new HcsError(
        LocalCode.UnexpectedResult,
        `${op} ${JSON.stringify(this.id)} returned no Properties document`,
        {
          op,
          id: this.id,
        },
      );
    }
    return parsed;
  }
  /** `HcsModifyComputeSystem` with a ModifySettingRequest (sent as given; validate before). */
  async modify(request: JsonDocument, options?: CallOptions): Promise<void> {
    const op = 'HcsModifyComputeSystem';
    if (this.#closing !== undefined) throw new ClosedError(`compute system ${JSON.stringify(this.id)}`, op);
    const doc = toDocument(op, 'request', request);
    if (doc === null) throw invalidArgument(op, 'request is required');
    const handle = this.#handle;
    await this.#run(op, (n, operation) => n.cc.HcsModifyComputeSystem(handle, operation, doc, null), options);
  }
  /** `HcsInitializeLiveMigrationOnSource` (MigrationInitializeOptions). */
  async initializeLiveMigrationOnSource(
    migrationOptions?: JsonDocument,
    options?: CallOptions,
  ): Promise<void> {
    await this.#simple('HcsInitializeLiveMigrationOnSource', migrationOptions, options);
  }
  /** `HcsStartLiveMigrationOnSource` (MigrationStartOptions). */
  async startLiveMigrationOnSource(migrationOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsStartLiveMigrationOnSource', migrationOptions, options);
  }
  /** `HcsStartLiveMigrationTransfer` (MigrationTransferOptions). */
  async startLiveMigrationTransfer(migrationOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsStartLiveMigrationTransfer', migrationOptions, options);
  }
  /** `HcsFinalizeLiveMigration` (MigrationFinalizedOptions). */
  async finalizeLiveMigration(migrationOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsFinalizeLiveMigration', migrationOptions, options);
  }
  /** `HcsCancelLiveMigration` (MigrationCancelOptions). */
  async cancelLiveMigration(migrationOptions?: JsonDocument, options?: CallOptions): Promise<void> {
    await this.#simple('HcsCancelLiveMigration', migrationOptions, options);
  }

  /** Calls in flight on this handle. */
  get inflight(): number {
    return this.#inflight;
  }

  /**
   * Close the handle: idempotent; new calls reject with `ClosedError` at once; waits for calls in
   * flight; then `HcsCloseComputeSystem` off the JS thread. Pending `waitForExit` calls reject with
   * `ClosedError`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    leakRegistry.unregister(this);
    const closed = new ClosedError(`compute system ${JSON.stringify(this.id)}`, 'close');
    for (const reject of [...this.#closeWaiters]) reject(closed);
    try {
      const res = await traced(
        TracingChannels.hcsCall,
        { vmId: this.id, operation: 'HcsCloseComputeSystem' },
        () => this.#native.blocking.run({ kind: 'close', handle: this.#handle }),
      );
      if (res.error !== undefined) this.#logger.error('HcsCloseComputeSystem failed', { err: res.error });
    } finally {
      this.#hubs.delete(this.#contextId);
      this.#logger.debug('compute system handle closed');
    }
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
