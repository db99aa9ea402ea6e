/**
 * The HRESULT → `HcsError` taxonomy.
 *
 * Every failure this package reports is an {@link HcsError} with a stable `code`: either the name
 * of the HCS / Win32 HRESULT the service answered (`HCS_E_SYSTEM_NOT_FOUND`, `ERROR_NOT_FOUND`, …)
 * or one of the local codes (`InvalidArgument`, `Aborted`, `Timeout`, `NotSupported`, `Closed`,
 * `LibraryNotFound`, `PluginConflict`, `PluginVersion`, `PluginMissing`, `UnexpectedResult`).
 * Unknown HRESULTs get the code `HRESULT_0x########`.
 *
 * Facility-0x037 codes exist in two encodings (0x8037xxxx `HCS_E_*` and 0xC037xxxx
 * `ERROR_VMCOMPUTE_*`) that differ only in bit 30; they are compared with bit 30 masked and
 * reported under the `HCS_E_*` name (the legacy-only `0xC0370103` is `ERROR_VMCOMPUTE_OPERATION_PENDING`).
 * Win32 codes are recognised both bare (`0x490`) and as `HRESULT_FROM_WIN32` (`0x80070490`).
 */
import type { HvSocketCode } from './hvsocket/listener.js';
import { serviceHint } from './service-hint.js';

/** Local (non-HRESULT) error codes. */
export const LocalCode = {
  InvalidArgument: 'InvalidArgument',
  Aborted: 'Aborted',
  Timeout: 'Timeout',
  NotSupported: 'NotSupported',
  Closed: 'Closed',
  LibraryNotFound: 'LibraryNotFound',
  PluginConflict: 'PluginConflict',
  PluginVersion: 'PluginVersion',
  PluginMissing: 'PluginMissing',
  UnexpectedResult: 'UnexpectedResult',
} as const;
export type LocalCode = (typeof LocalCode)[keyof typeof LocalCode];

/** HRESULT values by name (unsigned 32-bit). Facility 0x037 codes in their 0x8037 form. */
export const HRESULT = {
  S_OK: 0x00000000,
  HCS_E_TERMINATED_DURING_START: 0x80370100,
  HCS_E_IMAGE_MISMATCH: 0x80370101,
  HCS_E_HYPERV_NOT_INSTALLED: 0x80370102,
  ERROR_VMCOMPUTE_OPERATION_PENDING: 0xc0370103,
  ERROR_VMCOMPUTE_TOO_MANY_NOTIFICATIONS: 0xc0370104,
  HCS_E_INVALID_STATE: 0x80370105,
  HCS_E_UNEXPECTED_EXIT: 0x80370106,
  HCS_E_TERMINATED: 0x80370107,
  HCS_E_CONNECT_FAILED: 0x80370108,
  HCS_E_CONNECTION_TIMEOUT: 0x80370109,
  HCS_E_CONNECTION_CLOSED: 0x8037010a,
  HCS_E_UNKNOWN_MESSAGE: 0x8037010b,
  HCS_E_UNSUPPORTED_PROTOCOL_VERSION: 0x8037010c,
  HCS_E_INVALID_JSON: 0x8037010d,
  HCS_E_SYSTEM_NOT_FOUND: 0x8037010e,
  HCS_E_SYSTEM_ALREADY_EXISTS: 0x8037010f,
  HCS_E_SYSTEM_ALREADY_STOPPED: 0x80370110,
  HCS_E_PROTOCOL_ERROR: 0x80370111,
  HCS_E_INVALID_LAYER: 0x80370112,
  HCS_E_WINDOWS_INSIDER_REQUIRED: 0x80370113,
  HCS_E_SERVICE_NOT_AVAILABLE: 0x80370114,
  HCS_E_OPERATION_NOT_STARTED: 0x80370115,
  HCS_E_OPERATION_ALREADY_STARTED: 0x80370116,
  HCS_E_OPERATION_PENDING: 0x80370117,
  HCS_E_OPERATION_TIMEOUT: 0x80370118,
  HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET: 0x80370119,
  HCS_E_OPERATION_RESULT_ALLOCATION_FAILED: 0x8037011a,
  HCS_E_ACCESS_DENIED: 0x8037011b,
  HCS_E_GUEST_CRITICAL_ERROR: 0x8037011c,
  HCS_E_PROCESS_INFO_NOT_AVAILABLE: 0x8037011d,
  HCS_E_SERVICE_DISCONNECT: 0x8037011e,
  HCS_E_PROCESS_ALREADY_STOPPED: 0x8037011f,
  E_NOTIMPL: 0x80004001,
  E_POINTER: 0x80004003,
  E_BOUNDS: 0x8000000b,
  E_FAIL: 0x80004005,
  E_UNEXPECTED: 0x8000ffff,
  E_HANDLE: 0x80070006,
  ERROR_ACCESS_DENIED: 0x80070005,
  ERROR_INVALID_DATA: 0x8007000d,
  ERROR_NOT_SUPPORTED: 0x80070032,
  ERROR_DEV_NOT_EXIST: 0x80070037,
  ERROR_INVALID_PARAMETER: 0x80070057,
  ERROR_PROC_NOT_FOUND: 0x8007007f,
  ERROR_ALREADY_EXISTS: 0x800700b7,
  ERROR_IO_PENDING: 0x800703e5,
  ERROR_NOT_FOUND: 0x80070490,
  ERROR_CANCELLED: 0x800704c7,
  ERROR_TIMEOUT: 0x800705b4,
  RPC_X_SS_IN_NULL_CONTEXT: 0x800706ef,
  ERROR_INVALID_OPERATION: 0x800710dd,
} as const;
export type HresultName = keyof typeof HRESULT;

/**
 * The local codes an `HcsError` may carry, as an interface so that a package defining more
 * (guestmanager: `GuestConnectionUnavailable`, …) adds them by module augmentation:
 * `declare module '@uvmkit/hcs-core' { interface HcsLocalCodes { MyCode: true } }`.
 */
export interface HcsLocalCodes extends Record<LocalCode | HvSocketCode, true> {}

/**
 * Every `HcsError.code`. One convention across the packages: the Windows name of the HRESULT
 * HCS answered (UPPER_SNAKE, `HCS_E_SYSTEM_NOT_FOUND`; `HRESULT_0x########` when unknown), or a
 * local PascalCase code (`InvalidArgument`). The full list is `ERRORS.md`.
 */
export type HcsErrorCode = HresultCode | keyof HcsLocalCodes;

/** The code of an HRESULT: its name, or `HRESULT_0x########` for one without a name. */
export type HresultCode = HresultName | `HRESULT_0x${string}`;

const BIT30 = 0x40000000;

/** Canonical form used for comparison: unsigned; facility-0x037 with bit 30 cleared; bare Win32 → 0x8007xxxx. */
export function canonicalHresult(hr: number): number {
  const u = hr >>> 0;
  if (u !== 0 && u <= 0xffff) return (0x80070000 | u) >>> 0;
  if ((u & 0x1fff0000) === 0x00370000 && u !== HRESULT.ERROR_VMCOMPUTE_OPERATION_PENDING) {
    return (u & ~BIT30) >>> 0;
  }
  return u;
}

const NAME_BY_VALUE = new Map<number, HresultName>();
for (const [name, value] of Object.entries(HRESULT) as [HresultName, number][]) {
  NAME_BY_VALUE.set(canonicalHresult(value), name);
}

/** The name of an HRESULT (`HCS_E_SYSTEM_NOT_FOUND`), or `HRESULT_0x########` when unknown. */
export function hresultName(hr: number): HresultCode {
  return NAME_BY_VALUE.get(canonicalHresult(hr)) ?? `HRESULT_${formatHresult(hr) as `0x${string}`}`;
}

/** `0x8037010E` style. */
export function formatHresult(hr: number): string {
  return `0x${(hr >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Whether two HRESULTs mean the same thing (bit 30 of facility 0x037 and bare Win32 forms folded). */
export function hresultEquals(a: number, b: number): boolean {
  return canonicalHresult(a) === canonicalHresult(b);
}

/** One `ErrorEvent` of a ResultError document. */
export interface HcsErrorEvent {
  readonly Message?: string;
  readonly StackTrace?: string;
  readonly Provider?: string;
  readonly EventId?: number;
  readonly Flags?: number;
  readonly Source?: string;
  readonly Data?: readonly { Type?: string; Value?: string }[];
}

/** The failure document HCS returns (`ResultError`). */
export interface ResultErrorDocument {
  readonly Error?: number;
  readonly ErrorMessage?: string;
  readonly ErrorEvents?: readonly HcsErrorEvent[];
  readonly Attribution?: readonly Record<string, unknown>[];
}

export interface HcsErrorOptions {
  /** The HRESULT (any sign; stored unsigned). Absent for local failures. */
  hresult?: number;
  /** What was being done, e.g. `'HcsStartComputeSystem'` or `'UtilityVM.create'`. */
  op?: string;
  /** The compute system id, when there is one. */
  id?: string;
  cause?: unknown;
  /** The parsed ResultError document, when HCS sent one. */
  result?: ResultErrorDocument;
}

const BRAND: unique symbol = Symbol.for('uvmkit.HcsError') as never;

/**
 * Every error of hcs-core and its managers. `code` is stable: an HRESULT name or a {@link LocalCode}.
 * `instanceof HcsError` works across duplicate copies of the package (brand under
 * `Symbol.for('uvmkit.HcsError')`).
 */
export class HcsError extends Error {
  readonly code: HcsErrorCode;
  /** Unsigned HRESULT; `undefined` for local failures. */
  readonly hresult: number | undefined;
  readonly op: string | undefined;
  readonly id: string | undefined;
  /** `ResultError.ErrorEvents` from HCS (empty when none). */
  readonly events: readonly HcsErrorEvent[];
  /** `ResultError.Attribution` from HCS (empty when none). */
  readonly attribution: readonly Record<string, unknown>[];
  /** `ResultError.ErrorMessage` from HCS. */
  readonly hcsMessage: string | undefined;

  constructor(code: HcsErrorCode, message: string, options: HcsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HcsError';
    this.code = code;
    this.hresult = options.hresult === undefined ? undefined : options.hresult >>> 0;
    this.op = options.op;
    this.id = options.id;
    this.events = options.result?.ErrorEvents ?? [];
    this.attribution = options.result?.Attribution ?? [];
    this.hcsMessage = options.result?.ErrorMessage;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Build from an HRESULT and an optional ResultError document. */
  static fromHresult(
    hresult: number,
    op: string,
    options: { id?: string | undefined; result?: ResultErrorDocument | undefined; cause?: unknown } = {},
  ): HcsError {
    const code = hresultName(hresult);
    const what = options.id === undefined ? op : `${op} ${JSON.stringify(options.id)}`;
    const detail = options.result?.ErrorMessage ? `: ${options.result.ErrorMessage}` : '';
    const hint = serviceHint(hresult);
    return new HcsError(code, `${what} failed with ${code} (${formatHresult(hresult)})${detail}${hint}`, {
      hresult,
      op,
      id: options.id,
      result: options.result,
      cause: options.cause,
    });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

const CLOSED_BRAND: unique symbol = Symbol.for('uvmkit.ClosedError') as never;

/** A method was called on a handle after `close()` (code `'Closed'`). Nothing was sent. */
export class ClosedError extends HcsError {
  constructor(what: string, op?: string) {
    super(LocalCode.Closed, `${what} is closed`, op === undefined ? {} : { op });
    this.name = 'ClosedError';
    Object.defineProperty(this, CLOSED_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLOSED_BRAND] === true
    );
  }
}

/** Whether `value` is an HcsError (any copy of the package). */
export function isHcsError(value: unknown): value is HcsError {
  return value instanceof HcsError;
}

function matches(err: unknown, codes: readonly number[], local: readonly HcsErrorCode[] = []): boolean {
  if (!isHcsError(err)) return false;
  if (local.includes(err.code)) return true;
  if (err.hresult === undefined) return false;
  const c = canonicalHresult(err.hresult);
  return codes.some((x) => canonicalHresult(x) === c);
}

/** SYSTEM_NOT_FOUND or ERROR_NOT_FOUND (hcsshim IsNotExist), or ERROR_DEV_NOT_EXIST (a device or controller the VM lacks). */
export const isNotFound = (err: unknown): boolean =>
  matches(err, [HRESULT.HCS_E_SYSTEM_NOT_FOUND, HRESULT.ERROR_NOT_FOUND, HRESULT.ERROR_DEV_NOT_EXIST]);
/** SYSTEM_ALREADY_STOPPED, PROCESS_ALREADY_STOPPED or ERROR_NOT_FOUND (hcsshim IsAlreadyStopped). */
export const isAlreadyStopped = (err: unknown): boolean =>
  matches(err, [
    HRESULT.HCS_E_SYSTEM_ALREADY_STOPPED,
    HRESULT.HCS_E_PROCESS_ALREADY_STOPPED,
    HRESULT.ERROR_NOT_FOUND,
  ]);
/** HCS_E_INVALID_STATE (either encoding). */
export const isInvalidState = (err: unknown): boolean => matches(err, [HRESULT.HCS_E_INVALID_STATE]);
/** The legacy "operation pending" code 0xC0370103 (hcsshim IsPending). */
export const isPending = (err: unknown): boolean => matches(err, [HRESULT.ERROR_VMCOMPUTE_OPERATION_PENDING]);
/** A local timeout, HCS_E_OPERATION_TIMEOUT, HCS_E_CONNECTION_TIMEOUT or ERROR_TIMEOUT. */
export const isTimeout = (err: unknown): boolean =>
  matches(
    err,
    [HRESULT.HCS_E_OPERATION_TIMEOUT, HRESULT.HCS_E_CONNECTION_TIMEOUT, HRESULT.ERROR_TIMEOUT],
    [LocalCode.Timeout],
  );
/** ERROR_ACCESS_DENIED or HCS_E_ACCESS_DENIED. */
export const isAccessDenied = (err: unknown): boolean =>
  matches(err, [HRESULT.ERROR_ACCESS_DENIED, HRESULT.HCS_E_ACCESS_DENIED]);
/** INVALID_JSON, ERROR_INVALID_DATA, ERROR_NOT_SUPPORTED, UNKNOWN_MESSAGE, E_NOTIMPL, ERROR_PROC_NOT_FOUND, or a local NotSupported. */
export const isNotSupported = (err: unknown): boolean =>
  matches(
    err,
    [
      HRESULT.HCS_E_INVALID_JSON,
      HRESULT.ERROR_INVALID_DATA,
      HRESULT.ERROR_NOT_SUPPORTED,
      HRESULT.HCS_E_UNKNOWN_MESSAGE,
      HRESULT.E_NOTIMPL,
      HRESULT.ERROR_PROC_NOT_FOUND,
    ],
    [LocalCode.NotSupported],
  );
/** Aborted by a signal (local), or ERROR_CANCELLED from HCS. */
export const isAborted = (err: unknown): boolean =>
  matches(err, [HRESULT.ERROR_CANCELLED], [LocalCode.Aborted]);
/** HCS_E_SERVICE_DISCONNECT: the compute service went away. */
export const isServiceDisconnect = (err: unknown): boolean =>
  matches(err, [HRESULT.HCS_E_SERVICE_DISCONNECT]);
/** SYSTEM_ALREADY_EXISTS (a duplicate system id) or ERROR_ALREADY_EXISTS (an occupied device slot). */
export const isAlreadyExists = (err: unknown): boolean =>
  matches(err, [HRESULT.HCS_E_SYSTEM_ALREADY_EXISTS, HRESULT.ERROR_ALREADY_EXISTS]);
/** ERROR_INVALID_HANDLE / E_HANDLE. */
export const isInvalidHandle = (err: unknown): boolean => matches(err, [HRESULT.E_HANDLE]);
/** A use-after-close (`ClosedError`). */
export const isClosed = (err: unknown): boolean => matches(err, [], [LocalCode.Closed]);
/** Bad input rejected before anything was sent. */
export const isInvalidArgument = (err: unknown): boolean =>
  matches(err, [HRESULT.ERROR_INVALID_PARAMETER], [LocalCode.InvalidArgument]);
/** The system is gone: not found, already stopped, closed or in an invalid state (hcsshim "VM not available"). */
export const isUnavailable = (err: unknown): boolean =>
  isNotFound(err) || isAlreadyStopped(err) || isClosed(err) || isInvalidState(err);

/** Build an InvalidArgument error (nothing was sent). */
export function invalidArgument(op: string, message: string, cause?: unknown): HcsError {
  return new HcsError(LocalCode.InvalidArgument, `${op}: ${message}`, { op, cause });
}

/**
 * Say what was being done: an `HcsError` becomes a new one reading `failed to <what>: <message>`
 * that keeps `code`, `hresult`, `op` (or takes `fields.op`), the HCS message, events and
 * attribution, with the original as `cause`. A `ClosedError` and anything that is not an HcsError
 * pass through unchanged. Used by manager packages to wrap a failed call with its context.
 */
export function withContext(err: unknown, what: string, fields: { op?: string; id?: string } = {}): unknown {
  if (!isHcsError(err) || err instanceof ClosedError) return err;
  const op = err.op ?? fields.op;
  const id = fields.id ?? err.id;
  return new HcsError(err.code, `failed to ${what}: ${err.message}`, {
    ...(err.hresult === undefined ? {} : { hresult: err.hresult }),
    ...(op === undefined ? {} : { op }),
    ...(id === undefined ? {} : { id }),
    cause: err,
    result: {
      ErrorEvents: err.events,
      Attribution: err.attribution,
      ...(err.hcsMessage === undefined ? {} : { ErrorMessage: err.hcsMessage }),
    },
  });
}
