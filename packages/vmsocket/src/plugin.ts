/** The vmsocket plugin object: install once with `UtilityVM.use(vmsocket)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { removeHvSocketService, updateHvSocketService } from './service.js';

/** The implementation: plain functions taking the VM first. */
export const vmsocketMethods = {
  updateHvSocketService,
  removeHvSocketService,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(vmsocket)` adds (derived from the implementation: `vm` dropped). */
export type VMSocketMethods = InstalledMethods<typeof vmsocketMethods>;

/** The plugin: `UtilityVM.use(vmsocket)`. */
export const vmsocket = definePlugin<UtilityVM, typeof vmsocketMethods>({
  name: 'vmsocket',
  packageName: '@uvmkit/vmsocket',
  coreRange: '^1.0.0',
  methods: vmsocketMethods,
});
