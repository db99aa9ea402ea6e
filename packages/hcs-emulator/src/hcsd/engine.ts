/**
 * The engine seam of hcsd (ARCHITECTURE.md decision 10: engines realize, the service decides).
 *
 * The service owns everything engine-independent: sessions, handle tokens, faults, the HCS state
 * model (`ComputeSystemRecord`, the device table and its validation). An engine realizes what the
 * service has already validated: it boots, pauses, saves and stops a VM, and applies a Modify that
 * the device table accepted. Only a realized change is committed to the table; a realization
 * failure throws an `HcsdFailure` (a specific HRESULT, the engine's own error text in the message)
 * and leaves the table untouched. Engine exits (the guest powered off, the VMM died) are reported
 * through `EngineHost.exited`, never by the engine touching service state.
 *
 * One engine per daemon (`hcsd --engine sim|qemu`). Every method that can take time takes an
 * `AbortSignal`: the service aborts it when the client cancels the request; an engine aborts the
 * work where it can and otherwise finishes it (the service answers only once the call settled).
 */
import type { RequestType, ResourcePathMatch, SystemKind } from '@uvmkit/hcs-schema';
import type { DeviceTable } from './devices.js';
import type { Obj } from './json.js';
import type { ExitType, SystemState } from './system.js';

export type EngineName = 'sim' | 'qemu';
export const ENGINE_NAMES: readonly EngineName[] = ['sim', 'qemu'];

/** Injected logger (no globals). */
export interface Logger {
  error(message: string, error?: unknown): void;
  info(message: string): void;
}

/** What an engine may read of one compute system (never the service's sessions or handles). */
export interface SystemView {
  readonly id: string;
  readonly kind: SystemKind;
  readonly runtimeId: string;
  /** The configuration as HCS holds it: the create document with the committed modifications. */
  readonly config: Obj;
  /** The committed device table (read-only for engines: the service commits). */
  readonly devices: DeviceTable;
  readonly state: SystemState;
}

/** How an engine reports what happens to a VM on its own. */
export interface EngineHost {
  /**
   * The VM stopped without being asked to (guest power-off, VMM died, guest agent shutdown).
   * Not for the stops the service asked for (shutdown, terminate, crash): those the service
   * records itself once the engine call settled. Reporting twice is harmless (the first wins).
   */
  exited(exitType: ExitType, detail?: ExitDetail): void;
}

/** Why a VM exited, for `SystemExitStatus.Attribution` (hcs-api.md §7) and the logs. */
export interface ExitDetail {
  /** `SystemExit.Detail` (default: from the ExitType). */
  readonly detail?: 'Shutdown' | 'Terminate' | 'UnexpectedExit' | 'ServiceStop' | 'HcsApiFatalError';
  /** `SystemExit.Initiator` (default: from the ExitType). */
  readonly initiator?: 'None' | 'GuestOS' | 'Client' | 'Internal' | 'Unknown';
  /** Free text for the log (the VMM's exit code or signal, its last error line). */
  readonly message?: string;
}

/** One Modify, as the service validated it against the device table. */
export interface ModifyCall {
  readonly match: ResourcePathMatch;
  readonly requestType: RequestType;
  readonly settings: unknown;
  /** The whole request document (GuestRequest, HostedSettings …). */
  readonly document: Obj;
}

export interface SaveCall {
  readonly saveType: 'ToFile' | 'AsTemplate';
  readonly path: string | undefined;
}

/** Resource usage of a running VM, for `Statistics` properties. */
export interface EngineStatistics {
  readonly uptimeMs: number;
  /** Memory the VM uses on the host, in bytes. */
  readonly memoryBytes?: number;
  /** Processor time the VM used, in 100 ns units. */
  readonly processorTime100ns?: number;
}

/** One VM realized by an engine. Calls on one VM never overlap: the service queues them. */
export interface EngineVm {
  start(signal: AbortSignal): Promise<void>;
  pause(signal: AbortSignal): Promise<void>;
  resume(signal: AbortSignal): Promise<void>;
  save(call: SaveCall, signal: AbortSignal): Promise<void>;
  /** Graceful shutdown: resolves once the VM is off (the engine forces it after its own timeout). */
  shutdown(signal: AbortSignal): Promise<void>;
  /** Hard stop. Must not fail; resolves once nothing of the VM runs any more. */
  terminate(): Promise<void>;
  /** Crash the guest (HcsCrashComputeSystem). */
  crash(signal: AbortSignal): Promise<void>;
  /** Realize one Modify the device table accepted (before it is committed). */
  modify(call: ModifyCall, signal: AbortSignal): Promise<void>;
  statistics(): Promise<EngineStatistics | undefined>;
  /** Engine-specific inspection (tests): `what` names the view (`'guest'`, `'qemu'`, …). */
  inspect(what: string, query: Obj): Promise<unknown>;
  /** Engine-specific fault injection (tests). */
  fault(doc: Obj): Promise<unknown>;
  /** Drop every engine-specific fault (the control API's `clear`). */
  clearFaults(): void;
  /** The system is gone (stopped and its last handle closed): release everything. Idempotent. */
  dispose(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** Engine facts for logs and properties (for qemu: the accelerator, the QEMU version). */
  readonly description: Obj;
  /**
   * Realize a compute system the service accepted. May refuse what it cannot realize (an
   * HcsdFailure with a specific HRESULT); nothing may be left behind when it throws.
   */
  create(system: SystemView, host: EngineHost, signal: AbortSignal): Promise<EngineVm>;
  /** Daemon shutdown: terminate every VM this engine still runs. */
  close(): Promise<void>;
}
