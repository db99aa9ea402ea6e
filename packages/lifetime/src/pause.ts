/** pause / resume (`HcsPauseComputeSystem`, `HcsResumeComputeSystem`). */
import { type CallOptions, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import type { PauseOptions } from '@uvmkit/hcs-schema';
import { wrap } from './start.js';

/** Pause a running VM (Running → Paused). */
export async function pause(
  vm: UtilityVM,
  pauseOptions?: PauseOptions,
  options?: CallOptions,
): Promise<void> {
  try {
    await systemOf(vm).pause(pauseOptions, options);
  } catch (err) {
    throw wrap(err, 'pause', vm);
  }
}

/** Resume a paused VM (Paused → Running). */
export async function resume(vm: UtilityVM, options?: CallOptions): Promise<void> {
  try {
    await systemOf(vm).resume(undefined, options);
  } catch (err) {
    throw wrap(err, 'resume', vm);
  }
}
