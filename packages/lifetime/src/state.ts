/** Per-VM lifetime bookkeeping (kept by this package, keyed weakly by the VM). */
import type { UtilityVM } from '@uvmkit/hcs-core';

export interface LifetimeState {
  startedTime: Date | undefined;
}

const states = new WeakMap<UtilityVM, LifetimeState>();

export function lifetimeState(vm: UtilityVM): LifetimeState {
  let s = states.get(vm);
  if (s === undefined) {
    s = { startedTime: undefined };
    states.set(vm, s);
  }
  return s;
}
