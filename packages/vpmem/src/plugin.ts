/** The vpmem plugin object: install once with `UtilityVM.use(vpmem)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addVPMemDevice, removeVPMemDevice } from './device.js';
import { addVPMemMapping, removeVPMemMapping } from './mapping.js';

/** The implementation: plain functions taking the VM first. */
export const vpmemMethods = {
  addVPMemDevice,
  removeVPMemDevice,
  addVPMemMapping,
  removeVPMemMapping,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(vpmem)` adds (derived from the implementation: `vm` dropped). */
export type VPMemMethods = InstalledMethods<typeof vpmemMethods>;

/** The plugin: `UtilityVM.use(vpmem)`. */
export const vpmem = definePlugin<UtilityVM, typeof vpmemMethods>({
  name: 'vpmem',
  packageName: '@uvmkit/vpmem',
  coreRange: '^1.0.0',
  methods: vpmemMethods,
});
