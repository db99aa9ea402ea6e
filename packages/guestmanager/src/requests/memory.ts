/** LCOW: force the pod cgroup memory-limit update (`PodCgroupMemoryLimit` / Update, no Settings). */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';

export async function updateCgroupMemoryLimits(guest: Guest, options?: CallOptions): Promise<void> {
  await send(guest, GuestResources.PodCgroupMemoryLimit, 'Update', undefined, options);
}
