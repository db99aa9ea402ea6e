/** start: `HcsStartComputeSystem`, recording when the VM started. */
import { type CallOptions, ClosedError, HcsError, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import { lifetimeState } from './state.js';

/** Start the VM (Created → Running). Wraps failures as "failed to start utility VM <id>". */
export async function start(vm: UtilityVM, options?: CallOptions): Promise<void> {
  try {
    await systemOf(vm).start(undefined, options);
  } catch (err) {
    throw wrap(err, 'start', vm);
  }
  lifetimeState(vm).startedTime = new Date();
}

/**
 * Re-throw HcsErrors unchanged in kind (same `code`, `hresult`, events; the original as `cause`),
 * with the verb and VM id in the message. A `ClosedError` is passed through as is.
 */
export function wrap(err: unknown, verb: string, vm: UtilityVM): unknown {
  if (!(err instanceof HcsError) || err instanceof ClosedError) return err;
  const wrapped = new HcsError(
    err.code,
    `failed to ${verb} utility VM ${JSON.stringify(vm.id)}: ${err.message}`,
    {
      ...(err.hresult === undefined ? {} : { hresult: err.hresult }),
      op: err.op ?? verb,
      id: vm.id,
      cause: err,
      result: {
        ErrorEvents: err.events,
        Attribution: err.attribution,
        ...(err.hcsMessage === undefined ? {} : { ErrorMessage: err.hcsMessage }),
      },
    },
  );
  return wrapped;
}
