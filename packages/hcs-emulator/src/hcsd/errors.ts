/**
 * HRESULT constants hcsd answers with, and the failure value every handler throws
 * (`HcsdFailure`), turned into a response `{hresult, ResultError}` by the dispatcher.
 */

/** HRESULT values (unsigned 32-bit form). */
export const HR = {
  S_OK: 0,
  E_NOTIMPL: 0x80004001,
  E_POINTER: 0x80004003,
  E_FAIL: 0x80004005,
  E_BOUNDS: 0x8000000b,
  E_UNEXPECTED: 0x8000ffff,
  E_HANDLE: 0x80070006,
  /** HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED 5) */
  E_ACCESSDENIED: 0x80070005,
  E_INVALIDARG: 0x80070057,
  /** HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND 2) */
  ERROR_FILE_NOT_FOUND: 0x80070002,
  /** HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND 3) */
  ERROR_PATH_NOT_FOUND: 0x80070003,
  /** HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED 5) */
  ERROR_ACCESS_DENIED: 0x80070005,
  /** HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY 8) */
  ERROR_NOT_ENOUGH_MEMORY: 0x80070008,
  /** HRESULT_FROM_WIN32(ERROR_BAD_FORMAT 11) */
  ERROR_BAD_FORMAT: 0x8007000b,
  /** HRESULT_FROM_WIN32(ERROR_TIMEOUT 1460) */
  ERROR_TIMEOUT: 0x800705b4,
  /** HRESULT_FROM_WIN32(ERROR_INVALID_DATA 13) */
  ERROR_INVALID_DATA: 0x8007000d,
  /** HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED 50) */
  ERROR_NOT_SUPPORTED: 0x80070032,
  /** HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST 55) */
  ERROR_DEV_NOT_EXIST: 0x80070037,
  /** HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS 183) */
  ERROR_ALREADY_EXISTS: 0x800700b7,
  /** HRESULT_FROM_WIN32(ERROR_NOT_FOUND 1168) */
  ERROR_NOT_FOUND: 0x80070490,
  /** HRESULT_FROM_WIN32(ERROR_CANCELLED 1223) */
  ERROR_CANCELLED: 0x800704c7,
  /** HRESULT_FROM_WIN32(ERROR_INVALID_OPERATION 4317) */
  ERROR_INVALID_OPERATION: 0x800710dd,
  HCS_E_INVALID_STATE: 0x80370105,
  HCS_E_UNEXPECTED_EXIT: 0x80370106,
  HCS_E_INVALID_JSON: 0x8037010d,
  HCS_E_SYSTEM_NOT_FOUND: 0x8037010e,
  HCS_E_SYSTEM_ALREADY_EXISTS: 0x8037010f,
  HCS_E_SYSTEM_ALREADY_STOPPED: 0x80370110,
  HCS_E_UNSUPPORTED_PROTOCOL_VERSION: 0x8037010c,
  /** The connection was refused (connection limit, descriptor headroom). */
  HCS_E_CONNECT_FAILED: 0x80370108,
  /** The answer is larger than a frame may be. */
  HCS_E_OPERATION_RESULT_ALLOCATION_FAILED: 0x8037011a,
  /** The peer's credentials are not allowed on this socket. */
  HCS_E_ACCESS_DENIED: 0x8037011b,
} as const;

/** `HRESULT` as the signed 32-bit integer that goes into `ResultError.Error` and the frame. */
export function toInt32(hr: number): number {
  return hr | 0;
}

/** The failure of one call: the HRESULT and the `ResultError.ErrorMessage`. */
export class HcsdFailure extends Error {
  readonly code = 'HcsdFailure' as const;
  readonly hresult: number;

  constructor(hresult: number, message: string) {
    super(message);
    this.name = 'HcsdFailure';
    this.hresult = hresult >>> 0;
  }

  /** The `ResultError` document (JSON text). */
  toDocument(): string {
    return resultErrorDocument(this.hresult, this.message);
  }
}

/** `{"Error":<int32>,"ErrorMessage":"…"}`. */
export function resultErrorDocument(hresult: number, message: string): string {
  return JSON.stringify({ Error: toInt32(hresult), ErrorMessage: message });
}

/** Throw helper: `fail(HR.E_INVALIDARG, 'Settings.Path: is required')`. */
export function fail(hresult: number, message: string): never {
  throw new HcsdFailure(hresult, message);
}

/** `0x80070057` style. */
export function hex(hr: number): string {
  return `0x${(hr >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
