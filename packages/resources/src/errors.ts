/**
 * How this package reports failures: an argument that fails its check becomes an
 * `InvalidArgument` HcsError naming the argument (nothing is sent); any failure of the modify
 * call is re-thrown as an HcsError saying what was being done, keeping `code`, `hresult` and the
 * original error as `cause`.
 */
import { type CallOptions, HcsError, LocalCode, type UtilityVM } from '@uvmkit/hcs-core';
import { InvalidArgumentError } from '@uvmkit/hcs-schema';

/** Re-throw an HcsError with `failed to <what>: ` in front of its message; other errors unchanged. */
export function wrap(err: unknown, what: string, op: string, vm: UtilityVM): unknown {
  if (!(err instanceof HcsError)) return err;
  return new HcsError(err.code, `failed to ${what}: ${err.message}`, {
    ...(err.hresult === undefined ? {} : { hresult: err.hresult }),
    op: err.op ?? op,
    id: vm.id,
    cause: err,
    result: {
      ErrorEvents: err.events,
      Attribution: err.attribution,
      ...(err.hcsMessage === undefined ? {} : { ErrorMessage: err.hcsMessage }),
    },
  });
}

/** Run an argument check; a rejected argument becomes an `InvalidArgument` HcsError (cause: hcs-schema's `InvalidArgumentError`, whose `argument` names the parameter). */
export function validated<T>(check: () => T, what: string, op: string, vm: UtilityVM): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new HcsError(LocalCode.InvalidArgument, `failed to ${what}: ${err.message}`, {
        op,
        id: vm.id,
        cause: err,
      });
    }
    throw err;
  }
}

/** Send one ModifySettingRequest through the core (which validates it first) and wrap a failure. */
export async function send(
  vm: UtilityVM,
  request: object,
  what: string,
  op: string,
  options: CallOptions | undefined,
): Promise<void> {
  try {
    await vm.modify(request, options);
  } catch (err) {
    throw wrap(err, what, op, vm);
  }
}
