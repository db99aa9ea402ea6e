/** start: `HcsStartComputeSystem`, recording when the VM started. */
import { type CallOptions, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import { withContext } from '@uvmkit/hcs-core/manager';
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
 * hcs-core's `withContext` with the verb and VM id in the message ("failed to <verb> utility VM
 * "<id>": …"), keeping `code`, `hresult` and events; a `ClosedError` is passed through as is.
 */
export function wrap(err: unknown, verb: string, vm: UtilityVM): unknown {
  return withContext(err, `${verb} utility VM ${JSON.stringify(vm.id)}`, { op: verb, id: vm.id });
}
