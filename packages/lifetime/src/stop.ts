/**
 * shutdown / terminate / crash / wait, following hcs-api.md §8.5: when the exit was already seen
 * the request is skipped; `HCS_E_SYSTEM_ALREADY_STOPPED`, `SYSTEM_NOT_FOUND` / `ERROR_NOT_FOUND`
 * and the legacy pending code are swallowed; then the exit event is awaited, so the promise
 * resolves with the exit status.
 */
import {
  type CallOptions,
  type ExitWaitOptions,
  HcsError,
  isAlreadyStopped,
  isNotFound,
  isPending,
  LocalCode,
  type SystemExitStatus,
  systemOf,
  type UtilityVM,
} from '@uvmkit/hcs-core';
import type { CrashOptions, ShutdownOptions } from '@uvmkit/hcs-schema';
import { wrap } from './start.js';

async function stopAndWait(
  vm: UtilityVM,
  verb: string,
  send: () => Promise<void>,
  options: CallOptions | undefined,
): Promise<SystemExitStatus> {
  const system = systemOf(vm);
  const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
  const seen = system.exitStatus;
  if (seen !== undefined) return seen;
  try {
    await send();
  } catch (err) {
    if (!(isAlreadyStopped(err) || isNotFound(err) || isPending(err))) throw wrap(err, verb, vm);
  }
  // `timeout` bounds the whole call: the request and the wait for the exit event.
  const timeout = options?.timeout;
  const left = timeout === undefined ? undefined : Math.max(0, deadline! - Date.now());
  const timer = left === undefined ? undefined : AbortSignal.timeout(left);
  const signals = [options?.signal, timer].filter((s): s is AbortSignal => s !== undefined);
  const signal =
    signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  try {
    return await system.waitForExit({ signal });
  } catch (err) {
    if (timer?.aborted && !options?.signal?.aborted) {
      throw new HcsError(
        LocalCode.Timeout,
        `failed to ${verb} utility VM ${JSON.stringify(vm.id)}: no exit within ${timeout} ms`,
        { op: verb, id: vm.id, cause: err },
      );
    }
    throw wrap(err, `${verb} (waiting for exit)`, vm);
  }
}

/**
 * Graceful shutdown (`HcsShutDownComputeSystem`); resolves with the exit status. `timeout` bounds
 * the request and the wait for the exit (code `Timeout`); `signal` aborts both (code `Aborted`).
 */
export function shutdown(
  vm: UtilityVM,
  shutdownOptions?: ShutdownOptions,
  options?: CallOptions,
): Promise<SystemExitStatus> {
  return stopAndWait(vm, 'shut down', () => systemOf(vm).shutdown(shutdownOptions, options), options);
}

/** Forced stop (`HcsTerminateComputeSystem`); resolves with the exit status. */
export function terminate(vm: UtilityVM, options?: CallOptions): Promise<SystemExitStatus> {
  return stopAndWait(vm, 'terminate', () => systemOf(vm).terminate(undefined, options), options);
}

/** Crash the guest (`HcsCrashComputeSystem`, default `{"Type":"CrashGuest"}`); resolves when HCS accepted it. */
export async function crash(
  vm: UtilityVM,
  crashOptions?: CrashOptions,
  options?: CallOptions,
): Promise<void> {
  try {
    await systemOf(vm).crash(crashOptions ?? { Type: 'CrashGuest' }, options);
  } catch (err) {
    throw wrap(err, 'crash', vm);
  }
}

/**
 * Wait for the VM to exit; resolves with the exit status (at once if it already exited). The wait
 * keeps the process alive while pending unless `ref: false`.
 */
export function wait(vm: UtilityVM, options?: ExitWaitOptions): Promise<SystemExitStatus> {
  return systemOf(vm).waitForExit(options);
}

/** When the exit event arrived, if it did. */
export function stoppedTime(vm: UtilityVM): Date | undefined {
  return systemOf(vm).exitedAt;
}

/** The form hcsshim reports an unexpected exit in (code `HCS_E_UNEXPECTED_EXIT`: both forms are one). */
const ERROR_VMCOMPUTE_UNEXPECTED_EXIT = 0xc0370106;

/**
 * The error the VM exited with: `undefined` while running or after a clean exit; an HcsError for
 * a failing `Status` or an `UnexpectedExit` (code `HCS_E_UNEXPECTED_EXIT`, as hcsshim reports it).
 */
export function exitError(vm: UtilityVM): HcsError | undefined {
  const status = systemOf(vm).exitStatus;
  if (status === undefined) return undefined;
  if ((status.Status | 0) < 0) return HcsError.fromHresult(status.Status, 'exit', { id: vm.id });
  if (status.ExitType === 'UnexpectedExit')
    return HcsError.fromHresult(ERROR_VMCOMPUTE_UNEXPECTED_EXIT, 'exit', { id: vm.id });
  return undefined;
}
