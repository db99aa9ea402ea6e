/**
 * One compute system: its identity, current configuration (the create document with applied
 * modifications), lifecycle state machine (hcs-api.md §5) and exit status.
 */
import { randomUUID } from 'node:crypto';
import type { SystemKind } from '@uvmkit/hcs-schema';
import { DeviceTable } from './devices.js';
import type { EngineVm, ExitDetail } from './engine.js';
import { fail, HR } from './errors.js';
import { SerialQueue } from './queue.js';
import type { Handle } from './session.js';

/** At most this many ModifySettingRequest documents are kept per system (and at most `modifyLogBytes`). */
export const MODIFY_LOG_CAP = 100_000;

export type SystemState = 'Created' | 'Running' | 'Paused' | 'Stopped' | 'SavedAsTemplate';
export type ExitType = 'GracefulExit' | 'ForcedExit' | 'UnexpectedExit';
export type Lifecycle = 'Start' | 'Pause' | 'Resume' | 'Save' | 'ShutDown' | 'Terminate' | 'Crash';

export interface ExitStatus {
  Status: number;
  ExitType: ExitType;
  Attribution: unknown[];
}

const DETAIL: Record<ExitType, { Detail: string; Initiator: string }> = {
  GracefulExit: { Detail: 'Shutdown', Initiator: 'Client' },
  ForcedExit: { Detail: 'Terminate', Initiator: 'Client' },
  UnexpectedExit: { Detail: 'UnexpectedExit', Initiator: 'GuestOS' },
};

/** Which states each lifecycle call accepts (everything else: INVALID_STATE, or ALREADY_STOPPED when Stopped). */
const ALLOWED: Record<Lifecycle, readonly SystemState[]> = {
  Start: ['Created'],
  Pause: ['Running'],
  Resume: ['Paused'],
  Save: ['Paused'],
  ShutDown: ['Created', 'Running', 'Paused', 'SavedAsTemplate'],
  Terminate: ['Created', 'Running', 'Paused', 'SavedAsTemplate'],
  Crash: ['Running'],
};

export class ComputeSystemRecord {
  readonly id: string;
  readonly kind: SystemKind;
  readonly runtimeId: string = randomUUID();
  readonly createdAt = Date.now();
  /** The configuration as HCS holds it: the create document with applied modifications. */
  readonly config: Record<string, unknown>;
  readonly devices: DeviceTable;
  readonly terminateOnLastHandleClosed: boolean;
  /** Open handle tokens on this system (all clients). */
  readonly handles = new Set<Handle>();
  /**
   * Every ModifySettingRequest received (its JSON text, parsed once without error), in order: the
   * newest MODIFY_LOG_CAP entries within `#logBytesCap` bytes. Kept as text, so its size is known
   * exactly and inspection never re-serialises a deep document.
   */
  readonly modifyLog: string[] = [];
  /** How many of the oldest log entries were dropped to respect the caps. */
  modifyLogDropped = 0;
  /** Bytes (UTF-16 code units) of the entries in `modifyLog`. */
  modifyLogBytes = 0;
  readonly #logBytesCap: number;
  state: SystemState = 'Created';
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  exit: ExitStatus | undefined;
  lastSave: { SaveType: string; SaveStateFilePath?: string } | undefined;
  /** set once the system is gone (stopped and last handle closed) */
  tornDown = false;
  /** What the engine realized of this system (set once the engine's create succeeded). */
  vm: EngineVm | undefined;
  /** Calls on this system, in order (the service runs each one through it). */
  readonly queue = new SerialQueue();

  constructor(
    id: string,
    kind: SystemKind,
    config: Record<string, unknown>,
    modifyLogBytes = 4 * 1024 * 1024,
  ) {
    this.id = id;
    this.#logBytesCap = modifyLogBytes;
    this.kind = kind;
    this.config = config;
    this.terminateOnLastHandleClosed = config.ShouldTerminateOnLastHandleClosed === true;
    this.devices = new DeviceTable(config);
  }

  /** Append to the modify log, dropping the oldest entries beyond the entry and byte caps. */
  logModify(text: string): void {
    this.modifyLog.push(text);
    this.modifyLogBytes += text.length;
    while (
      this.modifyLog.length > 1 &&
      (this.modifyLogBytes > this.#logBytesCap || this.modifyLog.length > MODIFY_LOG_CAP)
    ) {
      this.modifyLogBytes -= this.modifyLog.shift()!.length;
      this.modifyLogDropped++;
    }
    if (this.modifyLogBytes > this.#logBytesCap) {
      // a single entry over the cap is not kept either
      this.modifyLogBytes = 0;
      this.modifyLog.length = 0;
      this.modifyLogDropped++;
    }
  }

  /** The modify log as one JSON array text (the entries are JSON texts already). */
  modifyLogJson(): string {
    return `[${this.modifyLog.join(',')}]`;
  }

  get owner(): string | undefined {
    return typeof this.config.Owner === 'string' ? this.config.Owner : undefined;
  }

  /** Throws the HCS error for `call` in the current state, if any. */
  check(call: Lifecycle | 'Modify'): void {
    if (call === 'Modify') {
      if (this.state === 'Running') return;
      if (this.state === 'Stopped') fail(HR.HCS_E_SYSTEM_ALREADY_STOPPED, `system ${this.id} is stopped`);
      fail(HR.HCS_E_INVALID_STATE, `cannot modify system ${this.id} in state ${this.state}`);
    }
    if (ALLOWED[call].includes(this.state)) return;
    if (this.state === 'Stopped')
      fail(HR.HCS_E_SYSTEM_ALREADY_STOPPED, `system ${this.id} is already stopped`);
    fail(HR.HCS_E_INVALID_STATE, `${call} is not valid for system ${this.id} in state ${this.state}`);
  }

  start(): void {
    this.check('Start');
    this.state = 'Running';
    this.startedAt = Date.now();
  }

  pause(): void {
    this.check('Pause');
    this.state = 'Paused';
  }

  resume(): void {
    this.check('Resume');
    this.state = 'Running';
  }

  save(saveType: 'ToFile' | 'AsTemplate', path: string | undefined): void {
    this.check('Save');
    this.lastSave =
      path === undefined ? { SaveType: saveType } : { SaveType: saveType, SaveStateFilePath: path };
    if (saveType === 'AsTemplate') this.state = 'SavedAsTemplate';
  }

  /** Move to Stopped and return the exit status (the caller sends SystemExited exactly once). */
  stop(exitType: ExitType, detail?: ExitDetail): ExitStatus {
    this.state = 'Stopped';
    this.stoppedAt = Date.now();
    const base = DETAIL[exitType];
    const status: ExitStatus = {
      Status: exitType === 'UnexpectedExit' ? HR.HCS_E_UNEXPECTED_EXIT | 0 : 0,
      ExitType: exitType,
      Attribution: [
        {
          SystemExit: {
            Detail: detail?.detail ?? base.Detail,
            Initiator: detail?.initiator ?? base.Initiator,
          },
        },
      ],
    };
    this.exit = status;
    return status;
  }
}
