/** PodCgroupMemoryLimit (LCOW, Update, no Settings): counted. */
import type { ModifyContext } from './common.js';

export function podCgroupMemoryLimit(ctx: ModifyContext): void {
  ctx.table.cgroupMemoryUpdates++;
}
