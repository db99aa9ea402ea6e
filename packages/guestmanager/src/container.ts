/**
 * Containers in an LCOW guest (gcs-protocol.md §4.5, §4.6, §6.2): `createContainer` sends Create
 * with the hosted-system document (schema 2.1, `OciBundlePath`, the OCI spec, `ScratchDirPath`);
 * `openContainer` makes a handle for an existing id without a request (as hcsshim). A
 * {@link GuestContainer} starts its init process (`start`: Start, then ExecuteProcess without
 * OciProcess, then WaitForProcess on the init pid — the guest sends the exit notification only
 * after that wait is answered), runs execs, waits for the exit notification, shuts down
 * (graceful, then forced, as hcsshim), kills, and queries properties.
 *
 * Exit notifications are routed by the `Guest` (which also keeps the ones that arrive for an id
 * without a handle, e.g. those the guest flushes after a reconnect). When the bridge the handle
 * was made on closes before the exit is known, `wait()` rejects with `ConnectionLost` (open the
 * container again on the new connection).
 */
import { type CallOptions, ClosedError, HRESULT, hresultEquals, isHcsError } from '@uvmkit/hcs-core';
import { abortedError, checkCallOptions, invalidArgument, timeoutError } from '@uvmkit/hcs-core/manager';
import type { LinuxContainerConfigDocument } from '@uvmkit/hcs-schema';
import type { Bridge, ContainerNotification, ResponseBase } from './bridge/bridge.js';
import { anyInString, fromAnyInString, NULL_CONTAINER_ID, RpcProc, ZERO_GUID } from './bridge/protocol.js';
import { ConnectionLostError } from './errors.js';
import type { Guest } from './guest.js';
import { type GuestProcess, type OciProcess, type ProcessParameters, startProcess } from './process.js';
import * as v from './requests/validate.js';

/** How long `shutdown` waits for the exit after the graceful request before forcing (hcsshim: 30 s). */
export const DEFAULT_GRACEFUL_SHUTDOWN_MS = 30_000;

/** An OCI runtime spec (passed through; the Linux GCS needs `linux` and `process`). */
export interface OciSpec {
  ociVersion?: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  linux?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CreateContainerOptions extends CallOptions {
  /** `OciBundlePath` (default `/run/gcs/c/<id>`). */
  bundlePath?: string | undefined;
  /** `ScratchDirPath` (omitted by default). */
  scratchDirPath?: string | undefined;
}

/** A container's exit, from its notification (§4.6). */
export interface ContainerExit {
  /** `GracefulExit` (init got SIGTERM), `ForcedExit` (SIGKILL), `UnexpectedExit` (anything else) … */
  readonly exitType: string;
  readonly notification: ContainerNotification;
}

export interface StartContainerOptions extends CallOptions {
  /** Pipes for the init process (default true each; no stderr with a terminal). */
  stdin?: boolean | undefined;
  stdout?: boolean | undefined;
  stderr?: boolean | undefined;
}

export interface ShutdownOptions extends CallOptions {
  /** How long to wait for the exit after ShutdownGraceful before ShutdownForced (default 30 s). */
  gracePeriod?: number | undefined;
}

const gone = (err: unknown): boolean =>
  isHcsError(err) &&
  err.hresult !== undefined &&
  (hresultEquals(err.hresult, HRESULT.HCS_E_SYSTEM_NOT_FOUND) ||
    hresultEquals(err.hresult, HRESULT.HCS_E_SYSTEM_ALREADY_STOPPED));

/** Create container `id` in the guest from an OCI spec (it is started with `GuestContainer.start`). */
export async function createContainer(
  guest: Guest,
  id: string,
  ociSpec: OciSpec,
  options: CreateContainerOptions = {},
): Promise<GuestContainer> {
  const op = 'createContainer';
  checkCallOptions(op, options);
  v.str(op, 'id', id);
  if (id.toLowerCase() === NULL_CONTAINER_ID)
    throw invalidArgument(op, 'id must name a container, not the null container (the UVM)');
  v.object(op, 'ociSpec', ociSpec);
  v.linuxPath(op, 'bundlePath', options.bundlePath, true);
  v.linuxPath(op, 'scratchDirPath', options.scratchDirPath, true);
  const bridge = guest.bridge(op);
  const config = {
    SchemaVersion: { Major: 2, Minor: 1 },
    OciBundlePath: options.bundlePath ?? `/run/gcs/c/${id}`,
    OciSpecification: ociSpec,
    ...(options.scratchDirPath === undefined ? {} : { ScratchDirPath: options.scratchDirPath }),
  } satisfies LinuxContainerConfigDocument;
  guest.forgetContainerExit(id);
  await bridge.rpc(
    RpcProc.Create,
    { ContainerId: id, ActivityId: ZERO_GUID, ContainerConfig: anyInString(config) },
    options,
  );
  return new GuestContainer(guest, bridge, id, ociSpec.process?.terminal === true);
}

/** A handle for container `id` (no request is sent; a later call on an unknown id fails). */
export function openContainer(guest: Guest, id: string): GuestContainer {
  v.str('openContainer', 'id', id);
  return new GuestContainer(guest, guest.bridge('openContainer'), id, false);
}

/** A container in the guest: start, exec, wait for its exit notification, shut down, kill, close. */
export class GuestContainer {
  readonly guest: Guest;
  readonly id: string;
  readonly #bridge: Bridge;
  readonly #terminal: boolean;
  #init: GuestProcess | undefined;
  readonly #processes = new Set<GuestProcess>();
  #exit: ContainerExit | undefined;
  #lost: unknown;
  #closed = false;
  readonly #waiters = new Set<{ resolve(e: ContainerExit): void; reject(err: unknown): void }>();
  readonly #unsubscribe: () => void;

  /** @internal Use `createContainer` / `openContainer`. */
  constructor(guest: Guest, bridge: Bridge, id: string, terminal: boolean) {
    this.guest = guest;
    this.#bridge = bridge;
    this.id = id;
    this.#terminal = terminal;
    this.#unsubscribe = guest.trackContainer(id, bridge, {
      exited: (n) => this.#onExit(n),
      lost: (err) => this.#onLost(err),
    });
  }

  /** The init process, once started. */
  get init(): GuestProcess | undefined {
    return this.#init;
  }

  /** The exit once the notification arrived. */
  get exit(): ContainerExit | undefined {
    return this.#exit;
  }

  /** Start: the Start request, then the init process (stdio as asked), then its wait. */
  async start(options: StartContainerOptions = {}): Promise<GuestProcess> {
    const op = 'GuestContainer.start';
    checkCallOptions(op, options);
    this.#check(op);
    if (this.#init !== undefined) throw invalidArgument(op, `container ${this.id} was already started`);
    await this.#bridge.rpc(RpcProc.Start, { ContainerId: this.id, ActivityId: ZERO_GUID }, options);
    const params: ProcessParameters = {
      CreateStdInPipe: options.stdin ?? true,
      CreateStdOutPipe: options.stdout ?? true,
      CreateStdErrPipe: options.stderr ?? true,
    };
    const p = await startProcess(this.guest, op, this.id, params, { ...options, terminal: this.#terminal });
    this.#init = p;
    this.#processes.add(p);
    return p;
  }

  /** An extra process in the running container (`params.OciProcess` required). */
  async exec(params: ProcessParameters, options: CallOptions = {}): Promise<GuestProcess> {
    const op = 'GuestContainer.exec';
    checkCallOptions(op, options);
    this.#check(op);
    if (typeof params !== 'object' || params === null || params.OciProcess === undefined)
      throw invalidArgument(op, 'params.OciProcess is required for a container exec');
    const p = await startProcess(this.guest, op, this.id, params, options);
    this.#processes.add(p);
    return p;
  }

  /** Resolves with the exit notification's type; rejects `ConnectionLost`, `Closed`, `Aborted`. */
  wait(options: { signal?: AbortSignal | undefined } = {}): Promise<ContainerExit> {
    const op = 'GuestContainer.wait';
    try {
      checkCallOptions(op, options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#exit !== undefined) return Promise.resolve(this.#exit);
    if (this.#closed) return Promise.reject(new ClosedError(`guest container ${this.id}`, op));
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    const { signal } = options;
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (e: ContainerExit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        reject: (err: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => {
        this.#waiters.delete(w);
        reject(abortedError(op, signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(w);
    });
  }

  /**
   * ShutdownGraceful, wait up to `gracePeriod` for the exit; then ShutdownForced and wait for the
   * exit (bounded by `timeout`, default 30 s more). A container already gone counts as done.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ContainerExit> {
    const op = 'GuestContainer.shutdown';
    checkCallOptions(op, { signal: options.signal, timeout: options.timeout });
    v.uint(op, 'gracePeriod', options.gracePeriod ?? 0, 0xfffffffe);
    this.#check(op);
    const { signal } = options;
    if (this.#exit !== undefined) return this.#exit;
    await this.#request(RpcProc.ShutdownGraceful, signal);
    const graceful = await this.#waitFor(options.gracePeriod ?? DEFAULT_GRACEFUL_SHUTDOWN_MS, signal);
    if (graceful !== undefined) return graceful;
    await this.#request(RpcProc.ShutdownForced, signal);
    const limit = options.timeout ?? DEFAULT_GRACEFUL_SHUTDOWN_MS;
    const forced = await this.#waitFor(limit, signal);
    if (forced === undefined) throw timeoutError(op, limit, this.id);
    return forced;
  }

  /** ShutdownForced (SIGKILL to the init process); an already gone container is not an error. */
  async kill(options: CallOptions = {}): Promise<void> {
    const op = 'GuestContainer.kill';
    checkCallOptions(op, options);
    this.#check(op);
    await this.#request(RpcProc.ShutdownForced, options.signal, options.timeout);
  }

  /** GetProperties: `{ ProcessList: [{ ProcessId }], LCOWMetrics? }` for `ProcessList` / `Statistics`. */
  async properties(
    query: readonly string[] = ['ProcessList'],
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const op = 'GuestContainer.properties';
    checkCallOptions(op, options);
    v.strings(op, 'query', query);
    this.#check(op);
    const r = await this.#bridge.rpc<ResponseBase & { Properties?: unknown }>(
      RpcProc.GetProperties,
      { ContainerId: this.id, ActivityId: ZERO_GUID, Query: anyInString({ PropertyTypes: [...query] }) },
      options,
    );
    const props = fromAnyInString(r.Properties);
    return typeof props === 'object' && props !== null ? (props as Record<string, unknown>) : {};
  }

  /**
   * Release the handle (idempotent) and the processes started through it; pending `wait()`
   * calls reject with `Closed`. The container keeps running.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    await Promise.all([...this.#processes].map((p) => p.close()));
    const err = new ClosedError(`guest container ${this.id}`, 'GuestContainer.wait');
    for (const w of [...this.#waiters]) w.reject(err);
    this.#waiters.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #request(proc: number, signal: AbortSignal | undefined, timeout?: number): Promise<void> {
    try {
      await this.#bridge.rpc(proc, { ContainerId: this.id, ActivityId: ZERO_GUID }, { signal, timeout });
    } catch (err) {
      if (!gone(err)) throw err;
    }
  }

  /** The exit if it arrives within `ms`, else undefined. */
  #waitFor(ms: number, signal: AbortSignal | undefined): Promise<ContainerExit | undefined> {
    if (this.#exit !== undefined) return Promise.resolve(this.#exit);
    const local = new AbortController();
    const timer = setTimeout(() => local.abort(), ms);
    const onAbort = (): void => local.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    return this.wait({ signal: local.signal })
      .then(
        (e) => e as ContainerExit | undefined,
        (err: unknown) => {
          if (signal?.aborted) throw abortedError('GuestContainer.shutdown', signal.reason, this.id);
          if (isHcsError(err) && err.code === 'Aborted') return undefined;
          throw err;
        },
      )
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  }

  #onExit(n: ContainerNotification): void {
    if (this.#exit !== undefined) return;
    this.#exit = { exitType: n.Type, notification: n };
    for (const w of [...this.#waiters]) w.resolve(this.#exit);
    this.#waiters.clear();
  }

  #onLost(cause: unknown): void {
    if (this.#exit !== undefined || this.#lost !== undefined) return;
    this.#lost = new ConnectionLostError('GuestContainer.wait', `container ${this.id}`, cause);
    for (const w of [...this.#waiters]) w.reject(this.#lost);
    this.#waiters.clear();
  }

  #check(op: string): void {
    if (this.#closed) throw new ClosedError(`guest container ${this.id}`, op);
    if (this.#bridge.closed)
      throw new ConnectionLostError(op, `container ${this.id}`, this.#bridge.closeError);
  }
}
