/**
 * `HcsdControl`: inspection and fault injection over hcsd's control methods (64 Inspect,
 * 65 Fault, 66 Stop). For tests and the demo only.
 */
import { HcsdClient, type HcsdResponse } from './client.js';
import type { DeviceTableSnapshot } from './hcsd/devices.js';
import type { GuestInspection, GuestRequestLogEntry } from './hcsd/engines/sim/guest/agent.js';
import type { GuestFaultsSnapshot } from './hcsd/engines/sim/guest/faults.js';
import type { GuestTableSnapshot } from './hcsd/engines/sim/guest/inspect.js';
import type { GcsRequestName } from './hcsd/engines/sim/guest/protocol.js';
import { hex } from './hcsd/errors.js';
import type { ClientInspection, PendingInspection, SystemInspection } from './hcsd/inspect.js';
import { Method, type MethodName } from './hcsd/methods.js';
import { isTcpEndpoint, readSecretFile } from './hcsd/tcp.js';

export type {
  ClientInspection,
  DeviceTableSnapshot,
  GcsRequestName,
  GuestFaultsSnapshot,
  GuestInspection,
  GuestRequestLogEntry,
  GuestTableSnapshot,
  PendingInspection,
  SystemInspection,
};

/** Which requests a guest rule applies to (default: every request). */
export interface GuestRequestFilter {
  /** only requests of this procedure, e.g. `'ModifySettings'` */
  procedure?: GcsRequestName;
  /** only ModifySettings requests with this `Request.ResourceType` */
  resourceType?: string;
  /** how many matching requests (default 1) */
  count?: number;
}

/**
 * A fault of the emulated guest agent of one VM (`HcsdControl.guestFault`).
 * - `neverDial`: the agent does not dial (set before Start; `enabled: false` re-enables dialing).
 * - `drop`: close the bridge now (the agent re-dials after 100 ms while the VM runs); processes
 *   keep running; `stdio: true` also drops their stdio relay connections.
 * - `gcsPanics`: a Create whose OCI spec has no `linux` section makes the agent behave as the real
 *   Linux GCS (panic: the bridge drops without a reply and the agent no longer runs); without it
 *   such a Create is refused with `E_FAIL`.
 * - `dropOnRequest`: close the bridge when a matching request arrives, without replying.
 * - `silent`: never answer matching requests.
 * - `fail`: answer matching requests with `hresult` (+ ErrorMessage `message`), no effect.
 * - `delay`: answer matching requests `ms` later (default count: all, until cleared).
 * - `reorder`: hold the next `count` replies (default 2), then send them in reverse order.
 * - `garbage`: a bad frame — `size` (header Size 15), `json` (the request's ID, payload not JSON),
 *   `unknownId` (a valid response with ID 0x7fffffffffffffff), `notification` (type 0x30200101) —
 *   instead of the reply to a matching request, or at once with `when: 'now'`.
 * - `oversized`: the reply padded to `size` bytes (default 0x10001, header included), or a
 *   response frame of that size at once with `when: 'now'`.
 * - `notify`: send a container notification (0x30100101) now.
 * - `clear`: disarm every rule of this agent (also `clearFaults()`).
 */
export type GuestFaultSpec =
  | { kind: 'neverDial'; enabled?: boolean }
  | { kind: 'drop'; stdio?: boolean }
  | { kind: 'gcsPanics'; enabled?: boolean }
  | ({ kind: 'dropOnRequest' } & GuestRequestFilter)
  | ({ kind: 'silent' } & GuestRequestFilter)
  | ({ kind: 'fail'; hresult: number; message?: string } & GuestRequestFilter)
  | { kind: 'delay'; ms: number; count?: number; procedure?: GcsRequestName }
  | { kind: 'reorder'; count?: number }
  | ({
      kind: 'garbage';
      variant?: 'size' | 'json' | 'unknownId' | 'notification';
      when?: 'now' | 'reply';
    } & GuestRequestFilter)
  | ({ kind: 'oversized'; size?: number; when?: 'now' | 'reply' } & GuestRequestFilter)
  | { kind: 'notify'; containerId?: string; type?: string }
  | { kind: 'clear' };

/** A control request failed; `hresult` is hcsd's answer. */
export class HcsdControlError extends Error {
  readonly code = 'HcsdControl' as const;
  readonly hresult: number;
  constructor(hresult: number, message: string) {
    super(message);
    this.name = 'HcsdControlError';
    this.hresult = hresult;
  }
}

export interface FaultSpec {
  /** method name (`'Modify'`) or code (`13`) */
  method: MethodName | number;
  /** how many upcoming calls fail (default 1) */
  count?: number;
  /** HRESULT answered (unsigned or signed 32-bit) */
  hresult: number;
  /** ResultError.ErrorMessage (default "injected fault") */
  message?: string;
  /** only calls addressing this compute system (by token, or the id argument of Create/Open) */
  id?: string;
}

export interface DelaySpec {
  method: MethodName | number;
  ms: number;
  /** how many upcoming calls are delayed (default: all, until `clearFaults()`) */
  count?: number;
  /** only calls addressing this compute system */
  id?: string;
}

export class HcsdControl {
  readonly #client: HcsdClient;

  private constructor(client: HcsdClient) {
    this.#client = client;
  }

  /**
   * Connect to the hcsd at `socketPath`. Over TCP (`tcp:127.0.0.1:PORT`) the Hello presents the
   * secret read from `secretFile`; a refusal rejects with `HcsdControlError` (E_ACCESSDENIED).
   */
  static async connect(
    socketPath: string,
    options: { secretFile?: string | undefined } = {},
  ): Promise<HcsdControl> {
    const client = await HcsdClient.connect(socketPath);
    const hello = ['hcsd-control', String(process.pid), '1'];
    if (isTcpEndpoint(socketPath) && options.secretFile !== undefined)
      hello.push(readSecretFile(options.secretFile));
    const r = await client.request(Method.Hello, 0n, hello);
    if (r.hresult !== 0) {
      client.close();
      throw new HcsdControlError(
        r.hresult,
        `hcsd refused the control connection: ${r.document ?? hex(r.hresult)}`,
      );
    }
    return new HcsdControl(client);
  }

  async #call(method: number, arg: unknown): Promise<unknown> {
    const r: HcsdResponse = await this.#client.request(method, 0n, [JSON.stringify(arg)]);
    if (r.hresult !== 0) {
      let message = `hcsd control request failed with ${hex(r.hresult)}`;
      try {
        const doc = JSON.parse(r.document ?? '{}') as { ErrorMessage?: string };
        if (doc.ErrorMessage) message += `: ${doc.ErrorMessage}`;
      } catch {}
      throw new HcsdControlError(r.hresult, message);
    }
    return r.document === null ? undefined : JSON.parse(r.document);
  }

  /** Every live system. */
  systems(): Promise<SystemInspection[]> {
    return this.#call(Method.Inspect, { what: 'systems' }) as Promise<SystemInspection[]>;
  }

  /** One system: configuration as HCS holds it, state, device table, RuntimeId, open handle count. */
  system(id: string): Promise<SystemInspection> {
    return this.#call(Method.Inspect, { what: 'system', id }) as Promise<SystemInspection>;
  }

  /** Open handles per connected client. */
  clients(): Promise<ClientInspection[]> {
    return this.#call(Method.Inspect, { what: 'clients' }) as Promise<ClientInspection[]>;
  }

  /** Requests held back by `delay()` that have not completed. */
  pending(): Promise<PendingInspection[]> {
    return this.#call(Method.Inspect, { what: 'pending' }) as Promise<PendingInspection[]>;
  }

  /** The ModifySettingRequest documents received for `id` (parsed JSON, in order; also after teardown). */
  modifyLog(id: string): Promise<unknown[]> {
    return this.#call(Method.Inspect, { what: 'modifyLog', id }) as Promise<unknown[]>;
  }

  /** Fail the next `count` calls of `method` with `hresult` (no effect on state). */
  async fault(spec: FaultSpec): Promise<void> {
    await this.#call(Method.Fault, { kind: 'fail', ...spec });
  }

  /** Delay the next `count` (or all) calls of `method` by `ms` before they take effect. */
  async delay(spec: DelaySpec): Promise<void> {
    await this.#call(Method.Fault, { kind: 'delay', ...spec });
  }

  /** The emulated guest agent of VM `id`: connection state, guest table, request log, armed faults. */
  guest(id: string): Promise<GuestInspection> {
    return this.#call(Method.Inspect, { what: 'guest', id }) as Promise<GuestInspection>;
  }

  /** Arm (or trigger) a fault of the guest agent of VM `id`. */
  async guestFault(id: string, fault: GuestFaultSpec): Promise<void> {
    await this.#call(Method.Fault, { kind: 'guest', id, fault });
  }

  /** An engine's own view of VM `id` (sim: `'faults'`; qemu: `'qemu'`, `'log'`, …). */
  engine(id: string, view: string, query: Record<string, unknown> = {}): Promise<unknown> {
    return this.#call(Method.Inspect, { ...query, what: 'engine', id, view });
  }

  /**
   * Arm a fault of the engine realizing VM `id`. The sim engine takes
   * `{kind:'delay'|'fail', call, ms?, hresult?, message?, count?}`: its next `count` (default 1)
   * realizations of `call` (`'start'`, `'modify'`, …) wait `ms` (abortable) or fail.
   */
  async engineFault(id: string, fault: Record<string, unknown>): Promise<void> {
    await this.#call(Method.Fault, { kind: 'engine', id, fault });
  }

  /** Remove every armed fault and delay (also every guest agent's). */
  async clearFaults(): Promise<void> {
    await this.#call(Method.Fault, { kind: 'clear' });
  }

  /** Crash a system: CrashInitiated, CrashReport, then SystemExited with `UnexpectedExit`. */
  async crashVm(id: string): Promise<void> {
    await this.#call(Method.Fault, { kind: 'crash', id });
  }

  /** Make hcsd exit at once without closing sockets (clients see a disconnect). Resolves when the connection dropped. */
  async stopAbruptly(): Promise<void> {
    this.#client.request(Method.Stop, 0n, ['abrupt']).catch(() => {});
    await this.#client.closed;
  }

  /** Ask hcsd to stop gracefully (it answers, closes every connection, removes its socket, exits 0). */
  async stopGracefully(): Promise<void> {
    await this.#client.request(Method.Stop, 0n, ['graceful']).catch(() => {});
    await this.#client.closed;
  }

  /** Close the control connection. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
