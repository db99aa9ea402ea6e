/**
 * `Guest`: the guest connection of one UtilityVM (gcs-protocol.md §1, §6.1).
 *
 * `prepareConnection(serviceId)` listens at (vm.runtimeId, serviceId) — call it BEFORE the VM
 * starts, or the guest falls back and never dials. `createConnection()` after start accepts the
 * one connection (rejecting if the VM exits or the signal aborts first), negotiates protocol 4,
 * records the capabilities and, on a cold start, sends Create/Start for the null container when
 * the guest asks for them. Requests go through `modify` (the null container) and the per-resource
 * functions in ./requests (also installed as methods). Without a live bridge every call rejects
 * with {@link GuestConnectionUnavailable}; a bridge that dies is not re-established automatically
 * (prepare + createConnection({ coldStart: false }) again; the emulated and real guests re-dial).
 */
import type { Duplex } from 'node:stream';
import {
  type CallOptions,
  HcsError,
  HRESULT,
  type Logger,
  type Subscription,
  silentLogger,
  type UtilityVM,
} from '@uvmkit/hcs-core';
import {
  HvSocketIds,
  type HvSocketListener,
  type HvSocketTransport,
  isGuid,
  listen,
  normalizeGuid,
} from '@uvmkit/hcs-core/hvsocket';
import {
  checkCallOptions,
  installMethods,
  invalidArgument,
  type Plugin,
  TypedEvents,
} from '@uvmkit/hcs-core/manager';
import type { NegotiateProtocolRequest } from '@uvmkit/hcs-schema';
import { BootListeners, type BootListenersOptions } from './boot.js';
import { Bridge, type ContainerNotification, type ResponseBase, type RpcOptions } from './bridge/bridge.js';
import { anyInString, NULL_CONTAINER_ID, PROTOCOL_VERSION, RpcProc, ZERO_GUID } from './bridge/protocol.js';
import { type GuestCapabilities, parseNegotiateResponse } from './capabilities.js';
import { type BridgeClosedError, GuestConnectionUnavailable } from './errors.js';
import { type GuestRequestMethods, guestRequestMethods } from './methods.js';

/** Windows `TIME_ZONE_INFORMATION` as HCS schema 2 spells it (used in the WCOW cold-start Create). */
export interface TimeZoneInformation {
  Bias: number;
  StandardName: string;
  StandardDate: SystemTime;
  StandardBias: number;
  DaylightName: string;
  DaylightDate: SystemTime;
  DaylightBias: number;
}
export interface SystemTime {
  Year: number;
  Month: number;
  DayOfWeek: number;
  Day: number;
  Hour: number;
  Minute: number;
  Second: number;
  Milliseconds: number;
}

const ZERO_TIME: SystemTime = {
  Year: 0,
  Month: 0,
  DayOfWeek: 0,
  Day: 0,
  Hour: 0,
  Minute: 0,
  Second: 0,
  Milliseconds: 0,
};
/** UTC, no daylight saving: the default `TimeZoneInformation`. */
export const UTC_TIME_ZONE: TimeZoneInformation = Object.freeze({
  Bias: 0,
  StandardName: 'Coordinated Universal Time',
  StandardDate: ZERO_TIME,
  StandardBias: 0,
  DaylightName: 'Coordinated Universal Time',
  DaylightDate: ZERO_TIME,
  DaylightBias: 0,
});

/** The default bound of `createConnection` (hcsshim's GCSConnectionTimeout: 2 minutes). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 120_000;

export interface GuestOptions {
  logger?: Logger | undefined;
  /** HvSocket transport (default: `hyperv` on Windows, `unix` — the emulator — elsewhere). */
  transport?: HvSocketTransport | undefined;
  /** Emulator HvSocket directory (default `$UVMKIT_HVSOCK_DIR`, else `<runtime dir>/hvsock`). */
  hvsocketDir?: string | undefined;
  /** Inbound frame limit (default 0x10000, as hcsshim). */
  maxFrameSize?: number | undefined;
  /**
   * Timeout of every guest call that gives none (default `DEFAULT_CALL_TIMEOUT_MS`, 5 min, as
   * hcsshim's bridge; `null`: none). WaitForProcess never times out.
   */
  callTimeout?: number | null | undefined;
  /** Bound of the bytes queued for a guest that stops reading (default 16 MiB): then `SendQueueFull`. */
  maxSendQueueBytes?: number | undefined;
}

/** First vsock port of the stdio relays (hcsshim `firstIoChannelVsockPort`). */
export const FIRST_STDIO_PORT = 0x40000001;
/** Exit notifications kept for container ids without a handle (the oldest dropped first). */
export const RETAINED_EXITS = 1024;

interface ContainerTracker {
  exited(n: ContainerNotification): void;
  lost(err: unknown): void;
}

export interface CreateConnectionOptions extends CallOptions {
  /** A fresh VM (default true): honour SendHostCreateMessage / SendHostStartMessage. False when reconnecting. */
  coldStart?: boolean | undefined;
  /** The time zone sent in the cold-start Create (default {@link UTC_TIME_ZONE}). */
  timeZone?: TimeZoneInformation | undefined;
}

/** A ModifySettings request body for the guest (`guestrequest.ModificationRequest`). */
export interface GuestModificationRequest {
  readonly ResourceType: string;
  readonly RequestType: 'Add' | 'Remove' | 'Update' | 'PreAdd';
  readonly Settings?: unknown;
}

export interface GuestEvents {
  notification: ContainerNotification;
  /** The bridge closed (any reason, a local close included). */
  disconnect: BridgeClosedError;
}

const guests = new WeakMap<UtilityVM, Guest>();

export interface Guest extends GuestRequestMethods {}

/** The one `Guest` of `vm` (created on first use with `options`). */
export function guestOf(vm: UtilityVM, options?: GuestOptions): Guest {
  let g = guests.get(vm);
  if (g === undefined) {
    g = new Guest(vm, options);
    guests.set(vm, g);
  }
  return g;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: request methods installed on the prototype
export class Guest {
  readonly vm: UtilityVM;
  readonly #options: GuestOptions;
  readonly #logger: Logger;
  readonly #events: TypedEvents<GuestEvents>;
  #serviceId: string | undefined;
  #listener: HvSocketListener | undefined;
  #bridge: Bridge | undefined;
  #capabilities: GuestCapabilities | undefined;
  #connecting = false;
  #nextPort = FIRST_STDIO_PORT;
  readonly #trackers = new Map<string, Set<{ bridge: Bridge; t: ContainerTracker }>>();
  readonly #retainedExits = new Map<string, ContainerNotification>();
  #boot: BootListeners | undefined;

  constructor(vm: UtilityVM, options: GuestOptions = {}) {
    installMethods(Guest, GUEST_REQUESTS);
    if (typeof vm !== 'object' || vm === null || typeof (vm as { id?: unknown }).id !== 'string') {
      throw invalidArgument('Guest', 'vm must be a UtilityVM');
    }
    const max = options.maxFrameSize;
    if (max !== undefined && (!Number.isInteger(max) || max < 16 || max > 0xffffffff)) {
      throw invalidArgument('Guest', `maxFrameSize must be an integer 16..0xFFFFFFFF, got ${String(max)}`);
    }
    const ct = options.callTimeout;
    if (ct !== undefined && ct !== null) checkCallOptions('Guest', { timeout: ct });
    const q = options.maxSendQueueBytes;
    if (q !== undefined && (!Number.isInteger(q) || q < 0))
      throw invalidArgument('Guest', `maxSendQueueBytes must be a non-negative integer, got ${String(q)}`);
    this.vm = vm;
    this.#options = { ...options };
    this.#logger = options.logger ?? vm.logger ?? silentLogger;
    this.#events = new TypedEvents<GuestEvents>(this.#logger);
  }

  /** The service id given to prepareConnection, if any. */
  get serviceId(): string | undefined {
    return this.#serviceId;
  }

  /** Whether a negotiated bridge is up. */
  get connected(): boolean {
    return this.#bridge !== undefined && !this.#bridge.closed && this.#capabilities !== undefined;
  }

  /** The live bridge (advanced use: raw RPCs, counters). Throws GuestConnectionUnavailable. */
  bridge(op = 'Guest.bridge'): Bridge {
    const b = this.#bridge;
    if (b === undefined || this.#capabilities === undefined) {
      throw new GuestConnectionUnavailable(
        this.vm.id,
        op,
        this.#connecting ? 'the connection is being established' : 'createConnection has not completed',
      );
    }
    if (b.closed) throw new GuestConnectionUnavailable(this.vm.id, op, 'the bridge is closed', b.closeError);
    return b;
  }

  /**
   * Listen for the guest at (vm.runtimeId, serviceId) — before the VM starts. Idempotent for the
   * same service id (while listening or connected); another id rejects with HCS_E_INVALID_STATE.
   */
  async prepareConnection(
    serviceId: string = HvSocketIds.LinuxGcs,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<void> {
    const op = 'Guest.prepareConnection';
    if (!isGuid(serviceId))
      throw invalidArgument(op, `serviceId must be a GUID, got ${JSON.stringify(serviceId)}`);
    checkCallOptions(op, options);
    const id = normalizeGuid(serviceId);
    const busy =
      (this.#listener !== undefined && !this.#listener.closed) || this.connected || this.#connecting;
    if (busy) {
      if (id === this.#serviceId) return;
      throw new HcsError(
        'HCS_E_INVALID_STATE',
        `${op}: the guest connection of ${JSON.stringify(this.vm.id)} is already prepared for service ${this.#serviceId}, not ${id}`,
        { op, id: this.vm.id, hresult: HRESULT.HCS_E_INVALID_STATE },
      );
    }
    if (!isGuid(this.vm.runtimeId)) {
      throw invalidArgument(
        op,
        `utility VM ${JSON.stringify(this.vm.id)} has no RuntimeId (got ${JSON.stringify(this.vm.runtimeId)})`,
      );
    }
    this.#listener = await listen({
      vmId: this.vm.runtimeId,
      serviceId: id,
      signal: options.signal,
      transport: this.#options.transport,
      dir: this.#options.hvsocketDir,
    });
    this.#serviceId = id;
    this.#logger.debug('guest connection prepared', { serviceId: id, path: this.#listener.path });
  }

  /**
   * Accept the guest's connection, negotiate protocol 4 and (cold start) send Create/Start for the
   * null container when the guest's capabilities ask for them. `timeout` (default 2 min) bounds
   * all of it. On failure the bridge is closed and the error rethrown (prepare again to retry).
   */
  async createConnection(options: CreateConnectionOptions = {}): Promise<GuestCapabilities> {
    const op = 'Guest.createConnection';
    checkCallOptions(op, options);
    if (this.connected || this.#connecting) {
      throw new HcsError(
        'HCS_E_INVALID_STATE',
        `${op}: the guest of ${JSON.stringify(this.vm.id)} is already ${this.#connecting ? 'connecting' : 'connected'}`,
        {
          op,
          id: this.vm.id,
          hresult: HRESULT.HCS_E_INVALID_STATE,
        },
      );
    }
    const listener = this.#listener;
    if (listener === undefined || listener.closed) {
      throw new GuestConnectionUnavailable(
        this.vm.id,
        op,
        'prepareConnection was not called before the VM started',
      );
    }
    this.#connecting = true;
    const timeout = options.timeout ?? DEFAULT_CONNECTION_TIMEOUT_MS;
    const deadline = Date.now() + timeout;
    const left = (): number => Math.max(0, deadline - Date.now());
    const { signal } = options;
    let bridge: Bridge | undefined;
    let stream: Duplex | undefined;
    try {
      stream = await listener.accept({ signal, timeout: left(), vm: this.vm });
      bridge = new Bridge(stream, {
        logger: this.#logger,
        maxFrameSize: this.#options.maxFrameSize,
        vmId: this.vm.id,
        defaultTimeout: this.#options.callTimeout,
        maxSendQueueBytes: this.#options.maxSendQueueBytes,
      });
      // Subscribe before negotiating: the guest flushes queued exit notifications right after
      // its Negotiate reply, possibly in the same read.
      const early = bridge;
      early.on('notification', (n) => this.#onNotification(n));
      const rpc: RpcOptions = { signal, timeout: left() };
      const response = await bridge.rpc(
        RpcProc.NegotiateProtocol,
        {
          ContainerId: '',
          ActivityId: ZERO_GUID,
          MinimumVersion: PROTOCOL_VERSION,
          MaximumVersion: PROTOCOL_VERSION,
        } satisfies NegotiateProtocolRequest,
        rpc,
      );
      const caps = parseNegotiateResponse(response as Record<string, unknown>);
      if (options.coldStart !== false && caps.sendHostCreateMessage) {
        const config = { SystemType: 'Container', TimeZoneInformation: options.timeZone ?? UTC_TIME_ZONE };
        await bridge.rpc(
          RpcProc.Create,
          { ContainerId: NULL_CONTAINER_ID, ActivityId: ZERO_GUID, ContainerConfig: anyInString(config) },
          { signal, timeout: left() },
        );
        if (caps.sendHostStartMessage) {
          await bridge.rpc(
            RpcProc.Start,
            { ContainerId: NULL_CONTAINER_ID, ActivityId: ZERO_GUID },
            { signal, timeout: left() },
          );
        }
      }
      const b = bridge;
      void b.done.then((err) => {
        for (const set of this.#trackers.values())
          for (const e of [...set]) if (e.bridge === b) e.t.lost(err);
        if (this.#bridge === b) this.#events.emit('disconnect', err);
      });
      this.#bridge = b;
      this.#capabilities = caps;
      this.#logger.info('guest connected', { os: caps.os });
      return caps;
    } catch (err) {
      if (bridge !== undefined) await bridge.close();
      else stream?.destroy();
      await listener.close();
      throw err;
    } finally {
      this.#connecting = false;
    }
  }

  /** Close the bridge and any listener, boot listeners included (idempotent). Pending calls reject with `BridgeClosed`. */
  async closeConnection(): Promise<void> {
    const b = this.#bridge;
    const l = this.#listener;
    const boot = this.#boot;
    this.#listener = undefined;
    this.#serviceId = undefined;
    this.#boot = undefined;
    await l?.close();
    await boot?.close();
    if (b !== undefined) await b.close();
  }

  /**
   * Serve the LCOW boot listeners — entropy (vsock port 1) and the guest's log (port 109) — for
   * this VM; call BEFORE the VM starts (see boot.ts). Idempotent while they run.
   */
  async prepareBootListeners(options: BootListenersOptions = {}): Promise<BootListeners> {
    const op = 'Guest.prepareBootListeners';
    checkCallOptions(op, { signal: options.signal });
    if (
      options.entropyBytes !== undefined &&
      (!Number.isInteger(options.entropyBytes) ||
        options.entropyBytes < 0 ||
        options.entropyBytes > 1024 * 1024)
    )
      throw invalidArgument(
        op,
        `entropyBytes must be an integer 0..1048576, got ${String(options.entropyBytes)}`,
      );
    if (this.#boot !== undefined) return this.#boot;
    if (!isGuid(this.vm.runtimeId))
      throw invalidArgument(op, `utility VM ${JSON.stringify(this.vm.id)} has no RuntimeId`);
    this.#boot = await BootListeners.start(this, this.#logger, options);
    return this.#boot;
  }

  /** @internal The next stdio relay port of this guest connection (from 0x40000001). */
  nextStdioPort(): number {
    const p = this.#nextPort;
    this.#nextPort = this.#nextPort >= 0xffffffff ? FIRST_STDIO_PORT : this.#nextPort + 1;
    return p;
  }

  /** @internal Listen at (vm.runtimeId, serviceId) with this guest's transport options. */
  listenHvSocket(serviceId: string, signal?: AbortSignal): Promise<HvSocketListener> {
    return listen({
      vmId: this.vm.runtimeId,
      serviceId,
      signal,
      transport: this.#options.transport,
      dir: this.#options.hvsocketDir,
    });
  }

  /** @internal Route the exit notification of container `id` (made on `bridge`) to `t`. */
  trackContainer(id: string, bridge: Bridge, t: ContainerTracker): () => void {
    let set = this.#trackers.get(id);
    if (set === undefined) {
      set = new Set();
      this.#trackers.set(id, set);
    }
    const entry = { bridge, t };
    set.add(entry);
    const retained = this.#retainedExits.get(id);
    if (retained !== undefined) {
      this.#retainedExits.delete(id);
      queueMicrotask(() => t.exited(retained));
    } else if (bridge.closed) {
      queueMicrotask(() => t.lost(bridge.closeError));
    }
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#trackers.get(id) === set) this.#trackers.delete(id);
    };
  }

  /** @internal Drop a kept exit notification of `id` (a new container of that id is created). */
  forgetContainerExit(id: string): void {
    this.#retainedExits.delete(id);
  }

  #onNotification(n: ContainerNotification): void {
    const set = [...(this.#trackers.get(n.ContainerId) ?? [])];
    for (const e of set) e.t.exited(n);
    if (!set.some((e) => !e.bridge.closed)) {
      this.#retainedExits.delete(n.ContainerId);
      this.#retainedExits.set(n.ContainerId, n);
      if (this.#retainedExits.size > RETAINED_EXITS) {
        const oldest = this.#retainedExits.keys().next().value as string;
        this.#retainedExits.delete(oldest);
      }
    }
    this.#events.emit('notification', n);
  }

  /** The capabilities negotiated on the current connection. Throws GuestConnectionUnavailable. */
  capabilities(): GuestCapabilities {
    this.bridge('Guest.capabilities');
    return this.#capabilities as GuestCapabilities;
  }

  /** Container exit notifications (and any other accepted notification). */
  onNotification(listener: (n: ContainerNotification) => void): Subscription {
    return this.#events.on('notification', listener);
  }

  /** Called once when the current bridge closes, with why. */
  onDisconnect(listener: (err: BridgeClosedError) => void): Subscription {
    return this.#events.on('disconnect', listener);
  }

  /** A raw RPC with the request base for `containerId` (default the null container). */
  async rpc<R extends ResponseBase = ResponseBase>(
    proc: number,
    body: object = {},
    options: CallOptions & { containerId?: string | undefined } = {},
  ): Promise<R> {
    const bridge = this.bridge(`Guest.rpc`);
    const { containerId, ...call } = options;
    return bridge.rpc<R>(
      proc,
      { ContainerId: containerId ?? NULL_CONTAINER_ID, ActivityId: ZERO_GUID, ...body },
      call,
    );
  }

  /** ModifySettings for the null container (the UVM): `{ Request: { ResourceType, RequestType, Settings } }`. */
  async modify(request: GuestModificationRequest, options?: CallOptions): Promise<void> {
    await this.#modify('Guest.modify', NULL_CONTAINER_ID, request, options);
  }

  /** ModifySettings addressed to container `containerId` (the guest accepts only ContainerConstraints there). */
  async modifyContainer(
    containerId: string,
    request: GuestModificationRequest,
    options?: CallOptions,
  ): Promise<void> {
    if (typeof containerId !== 'string' || containerId === '') {
      throw invalidArgument('Guest.modifyContainer', 'containerId must be a non-empty string');
    }
    await this.#modify('Guest.modifyContainer', containerId, request, options);
  }

  async #modify(
    op: string,
    containerId: string,
    request: GuestModificationRequest,
    options?: CallOptions,
  ): Promise<void> {
    const bridge = this.bridge(op);
    const req: Record<string, unknown> = {
      RequestType: request.RequestType,
      ResourceType: request.ResourceType,
    };
    if (request.Settings !== undefined) req.Settings = request.Settings;
    await bridge.rpc(
      RpcProc.ModifySettings,
      { ContainerId: containerId, ActivityId: ZERO_GUID, Request: req },
      options,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeConnection();
  }
}

/**
 * The request methods, installed on `Guest.prototype` through hcs-core's plugin registry when the
 * first Guest is made (never at import). Not a `definePlugin` plugin: these are Guest methods, not
 * UtilityVM ones.
 */
const GUEST_REQUESTS: Plugin<never> = Object.freeze({
  name: 'guestmanager.requests',
  packageName: '@uvmkit/guestmanager',
  coreRange: '^1.0.0',
  methods: guestRequestMethods as unknown as Plugin<never>['methods'],
});
