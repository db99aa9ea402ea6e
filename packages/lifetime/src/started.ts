import type { UtilityVM } from '@uvmkit/hcs-core';
import { lifetimeState } from './state.js';

/** When `start()` (through this package) completed, if it did. */
export function startedTime(vm: UtilityVM): Date | undefined {
  return lifetimeState(vm).startedTime;
}
