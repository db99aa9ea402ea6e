/**
 * The guest manager's errors: all `HcsError`s (so `isHcsError`, `code`, `cause` work as for the
 * host managers). A guest RPC that the agent answers with a failure HRESULT rejects with
 * `HcsError.fromHresult` (code = the HRESULT's name, e.g. `ERROR_NOT_FOUND`, `E_NOTIMPL`, with
 * `hcsMessage` = the agent's `ErrorMessage`) — see {@link GuestRpcError}.
 */
import { HcsError, type HcsErrorOptions } from '@uvmkit/hcs-core';

/** Local codes of this package (besides core's `InvalidArgument`, `Aborted`, `Timeout`). */
export const GuestCode = {
  /** No usable guest connection (not prepared, not connected, closed, or the bridge died). */
  GuestConnectionUnavailable: 'GuestConnectionUnavailable',
  /** The bridge closed while a call was pending, or a call was made on a closed bridge. */
  BridgeClosed: 'BridgeClosed',
  /** The peer broke the protocol; the bridge was closed. See `violation`. */
  BridgeProtocolError: 'BridgeProtocolError',
  /** A response over the inbound limit: that one call failed, the bridge stays up. */
  ResponseTooLarge: 'ResponseTooLarge',
  /** More than the send-queue bound is waiting for the guest to read: the call was not sent. */
  SendQueueFull: 'SendQueueFull',
  /** The bridge a process or container was tracked on closed before its exit was known. */
  ConnectionLost: 'ConnectionLost',
  /** A stdio relay of a process was lost (its bridge closed before the process's exit was known). */
  StdioLost: 'StdioLost',
} as const;
export type GuestCode = (typeof GuestCode)[keyof typeof GuestCode];

declare module '@uvmkit/hcs-core' {
  // guestmanager's local codes are HcsError codes too (HcsLocalCodes keeps its one doc comment in hcs-core)
  interface HcsLocalCodes extends Record<GuestCode, true> {}
}

/** What the peer did wrong (on a {@link BridgeProtocolError}). */
export const ProtocolViolation = {
  /** Frame `Size` > the inbound limit (0x10000, header included). */
  OversizedFrame: 'OversizedFrame',
  /** Frame `Size` < 16. */
  UndersizedFrame: 'UndersizedFrame',
  /** A response whose ID matches no request sent on this bridge. */
  UnknownResponseId: 'UnknownResponseId',
  /** A response or notification payload that is not the expected JSON object. */
  InvalidPayload: 'InvalidPayload',
  /** A frame that is neither a response nor the container notification (`0x30100101`). */
  UnexpectedMessageType: 'UnexpectedMessageType',
  /** NegotiateProtocol answered with a version other than 4, or without capabilities. */
  NegotiationFailed: 'NegotiationFailed',
} as const;
export type ProtocolViolation = (typeof ProtocolViolation)[keyof typeof ProtocolViolation];

function brand(target: object, key: symbol): void {
  Object.defineProperty(target, key, { value: true });
}
function hasBrand(value: unknown, key: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[key] === true;
}

const UNAVAILABLE: unique symbol = Symbol.for('uvmkit.GuestConnectionUnavailable') as never;
const CLOSED: unique symbol = Symbol.for('uvmkit.BridgeClosedError') as never;
const PROTOCOL: unique symbol = Symbol.for('uvmkit.BridgeProtocolError') as never;
const TOO_LARGE: unique symbol = Symbol.for('uvmkit.ResponseTooLargeError') as never;
const QUEUE_FULL: unique symbol = Symbol.for('uvmkit.SendQueueFullError') as never;
const LOST: unique symbol = Symbol.for('uvmkit.ConnectionLostError') as never;
const STDIO_LOST: unique symbol = Symbol.for('uvmkit.StdioLostError') as never;

/** No guest connection to send on (code `GuestConnectionUnavailable`); `cause` says why, when known. */
export class GuestConnectionUnavailable extends HcsError {
  constructor(vmId: string, op: string, detail: string, cause?: unknown) {
    super(
      GuestCode.GuestConnectionUnavailable,
      `${op}: no guest connection to utility VM ${JSON.stringify(vmId)}: ${detail}`,
      {
        op,
        id: vmId,
        ...(cause === undefined ? {} : { cause }),
      },
    );
    this.name = 'GuestConnectionUnavailable';
    brand(this, UNAVAILABLE);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, UNAVAILABLE);
  }
}

/** Why a bridge closed. */
export type BridgeCloseReason = 'local' | 'eof' | 'transport' | 'protocol';

/** A call failed because the bridge is closed (code `BridgeClosed`); `cause` = what killed it. */
export class BridgeClosedError extends HcsError {
  readonly reason: BridgeCloseReason;
  constructor(op: string, reason: BridgeCloseReason, cause?: unknown) {
    const why =
      reason === 'local'
        ? 'closed locally'
        : reason === 'eof'
          ? 'the guest closed the connection'
          : `${reason} failure${cause instanceof Error ? `: ${cause.message}` : ''}`;
    super(GuestCode.BridgeClosed, `${op}: bridge closed (${why})`, {
      op,
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'BridgeClosedError';
    this.reason = reason;
    brand(this, CLOSED);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, CLOSED);
  }
}

/** The peer broke the protocol (code `BridgeProtocolError`); the bridge is closed with it as cause. */
export class BridgeProtocolError extends HcsError {
  readonly violation: ProtocolViolation;
  constructor(violation: ProtocolViolation, message: string, options: HcsErrorOptions = {}) {
    super(GuestCode.BridgeProtocolError, `${violation}: ${message}`, { op: 'bridge', ...options });
    this.name = 'BridgeProtocolError';
    this.violation = violation;
    brand(this, PROTOCOL);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, PROTOCOL);
  }
}

/**
 * A response larger than the inbound limit (code `ResponseTooLarge`): the Linux GCS's error
 * replies echo the request and can exceed 64 KiB. Only that call fails; the frame was skipped
 * and the bridge stays up.
 */
export class ResponseTooLargeError extends HcsError {
  readonly size: number;
  readonly limit: number;
  constructor(op: string, size: number, limit: number, vmId?: string) {
    super(
      GuestCode.ResponseTooLarge,
      `${op}: the guest's response is ${size} bytes, over the inbound limit of ${limit} bytes (the response was discarded)`,
      { op, ...(vmId === undefined ? {} : { id: vmId }) },
    );
    this.name = 'ResponseTooLargeError';
    this.size = size;
    this.limit = limit;
    brand(this, TOO_LARGE);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, TOO_LARGE);
  }
}

/** The guest stopped reading (code `SendQueueFull`): `queued` bytes wait, over `limit`; nothing was sent. */
export class SendQueueFullError extends HcsError {
  readonly queued: number;
  readonly limit: number;
  constructor(op: string, queued: number, limit: number, vmId?: string) {
    super(
      GuestCode.SendQueueFull,
      `${op}: ${queued} bytes are already waiting for the guest to read them (limit ${limit}); the request was not sent`,
      { op, ...(vmId === undefined ? {} : { id: vmId }) },
    );
    this.name = 'SendQueueFullError';
    this.queued = queued;
    this.limit = limit;
    brand(this, QUEUE_FULL);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, QUEUE_FULL);
  }
}

/**
 * The bridge a process or container was tracked on closed before its exit was known (code
 * `ConnectionLost`, `cause` = the {@link BridgeClosedError}). The guest may still run it.
 */
export class ConnectionLostError extends HcsError {
  constructor(op: string, what: string, cause: unknown) {
    super(GuestCode.ConnectionLost, `${op}: the guest connection was lost before ${what} exited`, {
      op,
      cause,
    });
    this.name = 'ConnectionLostError';
    brand(this, LOST);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, LOST);
  }
}

/** A process's stdio relay was lost (code `StdioLost`): with its bridge, or closed by the guest without an end. Relays are never re-attached. */
export class StdioLostError extends HcsError {
  readonly stream: 'stdin' | 'stdout' | 'stderr';
  constructor(
    pid: number,
    stream: 'stdin' | 'stdout' | 'stderr',
    cause?: unknown,
    why = "its bridge closed before the process's exit was known",
  ) {
    super(GuestCode.StdioLost, `${stream} of guest process ${pid} was lost: ${why}`, {
      op: 'GuestProcess',
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'StdioLostError';
    this.stream = stream;
    brand(this, STDIO_LOST);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, STDIO_LOST);
  }
}

/** One `ErrorRecords` item of a failed guest response. */
export interface GuestErrorRecord {
  readonly Result?: number;
  readonly Message?: string;
  readonly StackTrace?: string;
  readonly ModuleName?: string;
  readonly FileName?: string;
  readonly Line?: number;
  readonly FunctionName?: string;
}

/** A guest answer with `Result != 0`: an HcsError named after the HRESULT, plus the guest's records. */
export interface GuestRpcError extends HcsError {
  readonly errorRecords: readonly GuestErrorRecord[];
}

export function guestRpcError(
  op: string,
  result: number,
  message: string | undefined,
  records: readonly GuestErrorRecord[],
  vmId?: string,
): GuestRpcError {
  const err = HcsError.fromHresult(result, op, {
    id: vmId,
    result: message === undefined ? {} : { ErrorMessage: message },
  }) as HcsError & { errorRecords: readonly GuestErrorRecord[] };
  Object.defineProperty(err, 'errorRecords', { value: records, enumerable: true });
  return err;
}
