/** The vsmb plugin object: install once with `UtilityVM.use(vsmb)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addVSMB, removeVSMB, updateVSMB } from './share.js';

/** The implementation: plain functions taking the VM first. */
export const vsmbMethods = {
  addVSMB,
  removeVSMB,
  updateVSMB,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(vsmb)` adds (derived from the implementation: `vm` dropped). */
export type VSMBMethods = InstalledMethods<typeof vsmbMethods>;

/** The plugin: `UtilityVM.use(vsmb)`. */
export const vsmb = definePlugin<UtilityVM, typeof vsmbMethods>({
  name: 'vsmb',
  packageName: '@uvmkit/vsmb',
  coreRange: '^1.0.0',
  methods: vsmbMethods,
});
