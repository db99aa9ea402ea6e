/** The plan9 plugin object: install once with `UtilityVM.use(plan9)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addPlan9, removePlan9 } from './share.js';

/** The implementation: plain functions taking the VM first. */
export const plan9Methods = {
  addPlan9,
  removePlan9,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(plan9)` adds (derived from the implementation: `vm` dropped). */
export type Plan9Methods = InstalledMethods<typeof plan9Methods>;

/** The plugin: `UtilityVM.use(plan9)`. */
export const plan9 = definePlugin<UtilityVM, typeof plan9Methods>({
  name: 'plan9',
  packageName: '@uvmkit/plan9',
  coreRange: '^1.0.0',
  methods: plan9Methods,
});
