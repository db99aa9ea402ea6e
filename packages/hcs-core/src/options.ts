/** Validation of the `{ signal, timeout }` options every call takes. Bad options → nothing sent. */
import { HcsError, invalidArgument, LocalCode } from './errors.js';

/** Options of every asynchronous call. */
export interface CallOptions {
  /** Aborting asks HCS to cancel the operation, then still waits for it to complete. */
  signal?: AbortSignal | undefined;
  /** Milliseconds (finite, 0 ≤ timeout ≤ 0xFFFFFFFE). On expiry: cancel, wait, reject with code `Timeout`. */
  timeout?: number | undefined;
}

export const MAX_TIMEOUT_MS = 0xfffffffe;

/** Throws InvalidArgument for a bad timeout/signal, Aborted for an already-aborted signal. */
export function checkCallOptions(op: string, options: CallOptions | undefined): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') throw invalidArgument(op, 'options must be an object');
  const { signal, timeout } = options;
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMEOUT_MS) {
      throw invalidArgument(
        op,
        `timeout must be a finite number of milliseconds between 0 and ${MAX_TIMEOUT_MS}, got ${String(timeout)}`,
      );
    }
  }
  if (signal !== undefined) {
    if (
      typeof signal !== 'object' ||
      signal === null ||
      typeof (signal as AbortSignal).aborted !== 'boolean' ||
      typeof (signal as AbortSignal).addEventListener !== 'function'
    ) {
      throw invalidArgument(op, 'signal must be an AbortSignal');
    }
    if (signal.aborted) throw abortedError(op, signal.reason);
  }
}

/** code `Aborted`; `cause` = the signal's reason; `hresult` = what HCS answered, if it completed. */
export function abortedError(op: string, reason: unknown, id?: string, hresult?: number): HcsError {
  return new HcsError(
    LocalCode.Aborted,
    `${op}${id === undefined ? '' : ` ${JSON.stringify(id)}`} was aborted`,
    {
      op,
      cause: reason,
      ...(id === undefined ? {} : { id }),
      ...(hresult === undefined ? {} : { hresult }),
    },
  );
}

/** code `Timeout`; `cause` = the HCS failure, if it completed with one. */
export function timeoutError(
  op: string,
  ms: number,
  id?: string,
  hresult?: number,
  cause?: unknown,
): HcsError {
  return new HcsError(
    LocalCode.Timeout,
    `${op}${id === undefined ? '' : ` ${JSON.stringify(id)}`} timed out after ${ms} ms`,
    {
      op,
      ...(id === undefined ? {} : { id }),
      ...(hresult === undefined ? {} : { hresult }),
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
