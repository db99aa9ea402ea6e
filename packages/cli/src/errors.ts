/**
 * Exit codes and the mapping of failures to them. The codes are a contract (documented in the
 * README and `uvmctl --help`): scripts may branch on them.
 */
import {
  isAborted,
  isAlreadyExists,
  isAlreadyStopped,
  isHcsError,
  isInvalidArgument,
  isInvalidState,
  isNotFound,
  isServiceDisconnect,
  isTimeout,
} from '@uvmkit/hcs-core';

/** uvmctl's exit codes. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** An HCS (or guest) call failed for another reason. */
  Failure: 1,
  /** The command line is wrong (unknown command or option, missing argument). */
  Usage: 2,
  /** No compute system (or device) with that id. */
  NotFound: 3,
  /** The input was rejected before anything was sent: a bad config document or argument. */
  InvalidInput: 4,
  /** The VM is in the wrong state for the call, or the id / device slot is taken. */
  Conflict: 5,
  /** The compute service is not reachable (hcsd not running, computecore.dll missing). */
  Unavailable: 6,
  /** The call timed out. */
  Timeout: 7,
  /** Interrupted (Ctrl-C): the call was cancelled. */
  Interrupted: 130,
} as const;
/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure uvmctl itself detects (bad config file, bad option value), with its exit code. */
export class CliError extends Error {
  /** Stable code (`InvalidConfig`, `InvalidOption`, `ConfigNotReadable`, …). */
  readonly code: string;
  /** The exit code this failure ends the process with. */
  readonly exitCode: ExitCode;
  /** Details for `--json` (e.g. every schema issue of a config). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, exitCode: ExitCode, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    this.details = details;
  }
}

const UNAVAILABLE = new Set(['HCS_E_SERVICE_NOT_AVAILABLE', 'LibraryNotFound', 'HCS_E_SERVICE_DISCONNECT']);

/** The exit code of any failure. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (!isHcsError(err)) return ExitCode.Failure;
  if (UNAVAILABLE.has(err.code) || isServiceDisconnect(err)) return ExitCode.Unavailable;
  if (err.code === 'Aborted') return ExitCode.Interrupted;
  // An HvSocket address another listener holds: another uvmctl is attached to that guest.
  if (err.code === 'AddressInUse') return ExitCode.Conflict;
  if (isTimeout(err)) return ExitCode.Timeout;
  if (isAborted(err)) return ExitCode.Interrupted;
  if (isInvalidArgument(err)) return ExitCode.InvalidInput;
  if (isNotFound(err)) return ExitCode.NotFound;
  if (isInvalidState(err) || isAlreadyExists(err) || isAlreadyStopped(err)) return ExitCode.Conflict;
  return ExitCode.Failure;
}

/** The error as `--json` prints it (on stderr): `{ error: { code, message, hresult?, exitCode, … } }`. */
export function errorJson(err: unknown): { error: Record<string, unknown> } {
  const exitCode = exitCodeOf(err);
  if (err instanceof CliError) {
    return { error: { code: err.code, message: err.message, exitCode, ...err.details } };
  }
  if (isHcsError(err)) {
    return {
      error: {
        code: err.code,
        message: err.message,
        ...(err.hresult === undefined
          ? {}
          : { hresult: `0x${err.hresult.toString(16).toUpperCase().padStart(8, '0')}` }),
        ...(err.hcsMessage === undefined ? {} : { hcsMessage: err.hcsMessage }),
        exitCode,
      },
    };
  }
  return { error: { code: 'Internal', message: err instanceof Error ? err.message : String(err), exitCode } };
}
