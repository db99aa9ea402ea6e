/** The network plugin object: install once with `UtilityVM.use(network)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addNIC, removeNIC, updateNIC } from './nic.js';

/** The implementation: plain functions taking the VM first. */
export const networkMethods = {
  addNIC,
  removeNIC,
  updateNIC,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(network)` adds (derived from the implementation: `vm` dropped). */
export type NetworkMethods = InstalledMethods<typeof networkMethods>;

/** The plugin: `UtilityVM.use(network)`. */
export const network = definePlugin<UtilityVM, typeof networkMethods>({
  name: 'network',
  packageName: '@uvmkit/network',
  coreRange: '^1.0.0',
  methods: networkMethods,
});
